/**
 * Rendering to tokens with a real transformers.js tokenizer: a word-level tokenizer built by the
 * model-builder whose vocabulary covers every text rendered here, so decoding gives the text back.
 */
import { PreTrainedTokenizer, type PreTrainedTokenizer as PreTrainedTokenizerType } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenizerLike } from '../../../../src/core/engine/types';
import {
  SPECIAL_TOKEN_IDS,
  buildTokenizerConfigJson,
  buildWordLevelTokenizerJson,
  defaultChatTemplate,
  wordLevelVocabularyFromTexts,
} from '../../../../lab/model-builder';
import {
  RenderError,
  renderChat,
  renderPlain,
  renderPlainTexts,
  renderTrajectory,
  toChatTemplateMessages,
  toAlternatingTurns,
  type RenderedTrajectory,
} from '../../../../src/core/render';
import { fromTransformersTokenizer, loadTokenizer } from '../../../../src/core/tokenizer';
import type { Trajectory } from '../../../../src/core/trajectory';
import { TAU2_FILE, loadFixture, parseText, trajectoryById } from './fixtures';
import { tinyModelFolders, type TinyModelFolders } from './tiny-model-folder';

/** Each message between `<role>` tags, an assistant's calls as `[call NAME JSON]`, a tool result's call id: prefix-stable. */
const TAGGED_TEMPLATE =
  '{{ bos_token }}{% for message in messages %}' +
  "{{ '<' + message['role'] + '> ' + message['content'] }}" +
  "{% if message.tool_calls %}{% for call in message.tool_calls %}{{ ' [call ' + call.function.name + ' ' + (call.function.arguments | tojson) + ']' }}{% endfor %}{% endif %}" +
  "{% if message.tool_call_id %}{{ ' [for ' + message.tool_call_id + ']' }}{% endif %}" +
  "{{ ' </' + message['role'] + '>\\n' }}{% endfor %}";
/** Starts with the number of messages: every added message changes token 1. */
const COUNT_TEMPLATE =
  "{{ bos_token }}{{ messages | length }} messages\n{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}";
/** Renders the last message only. */
const LAST_ONLY_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{% if loop.last %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endif %}{% endfor %}";
/** Refuses tool messages, as some templates refuse roles they do not know. */
const RAISING_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'tool' %}{{ raise_exception('tool messages are not supported') }}{% endif %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}";
/** Says how many tools there are before the messages. */
const TOOLS_TEMPLATE =
  "{{ bos_token }}{% if tools %}{{ tools | length }} tools\n{% endif %}{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}";
const TEMPLATES = [defaultChatTemplate(), TAGGED_TEMPLATE, COUNT_TEMPLATE, LAST_ONLY_TEMPLATE, RAISING_TEMPLATE, TOOLS_TEMPLATE];
const TWO_TOOLS = [
  { type: 'function', function: { name: 'lookup', parameters: {} } },
  { type: 'function', function: { name: 'book', parameters: {} } },
];

/** A short conversation whose texts end in no white space, so the default template keeps its prefixes. */
const CLEAN_FILE = JSON.stringify({
  simulations: [
    {
      id: 'clean',
      task_id: 'clean',
      trial: 0,
      reward_info: { reward: 1 },
      messages: [
        { role: 'user', content: 'Hi there, I need my booking.' },
        { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'c1', name: 'lookup', arguments: { id: 'AB12' }, requestor: 'assistant' }] },
        { role: 'tool', id: 'c1', content: '{"id": "AB12", "seats": 2}' },
        { role: 'assistant', content: 'You have 2 seats.' },
      ],
    },
  ],
});

const tau2 = loadFixture(TAU2_FILE);
const algorithmGenerated = loadFixture('who_and_when/Algorithm-Generated/1.json')[0];
const handCrafted = loadFixture('who_and_when/Hand-Crafted/1.json')[0];
const clean = parseText('clean.json', CLEAN_FILE)[0];
const everyTrajectory: Trajectory[] = [...tau2, algorithmGenerated, handCrafted, clean];
const transferSimulation = trajectoryById(tau2, 'ce80f00a-bc8c-48de-81fe-e90622864422');

let folders: TinyModelFolders;
let rawTokenizer: PreTrainedTokenizerType;
let tokenizer: TokenizerLike;
const withTemplate = (template: string): TokenizerLike => fromTransformersTokenizer(rawTokenizer, { chatTemplate: template });

/** The text a template makes of `messages` (no tokens), from any tokenizer: only the Jinja step runs. */
function templateText(renderer: PreTrainedTokenizerType, template: string, trajectory: Trajectory, messageCount: number, tools?: unknown[]): string {
  return renderer.apply_chat_template(toChatTemplateMessages(trajectory.messages.slice(0, messageCount)), {
    chat_template: template,
    tools: tools ?? null,
    tokenize: false,
  });
}

beforeAll(async () => {
  folders = await tinyModelFolders();
  // The vocabulary must cover the chat renderings too; a first tokenizer (any vocabulary) renders their text.
  const bootstrap = await folders.loadTokenizer('bootstrap', ['x']);
  const texts: string[] = [];
  for (const trajectory of everyTrajectory) {
    texts.push(...renderPlainTexts(trajectory));
    for (const template of TEMPLATES) {
      if (template === RAISING_TEMPLATE) {
        // It refuses tool messages: the log is mapped onto alternating turns for it.
        texts.push(bootstrap.apply_chat_template(toAlternatingTurns(trajectory.messages).messages, { chat_template: template, tokenize: false }));
        continue;
      }
      texts.push(templateText(bootstrap, template, trajectory, trajectory.messages.length, template === TOOLS_TEMPLATE ? TWO_TOOLS : undefined));
      // A prefix ends where its last message ends: white space there may cut into pieces of its own.
      for (const message of trajectory.messages) {
        const single: Trajectory = { ...trajectory, messages: [message] };
        texts.push(templateText(bootstrap, template, single, 1));
      }
    }
  }
  rawTokenizer = await folders.loadTokenizer('tiny', wordLevelVocabularyFromTexts(texts));
  tokenizer = fromTransformersTokenizer(rawTokenizer);
});

afterAll(async () => {
  await folders?.dispose();
});

function decodeSpan(rendered: RenderedTrajectory, message: number): string {
  const span = rendered.messageSpans[message];
  return tokenizer.decodeTokens(rendered.tokenIds.slice(span.start, span.end)).join('');
}

/** Spans in message order, each starting where the previous ended, from `first` to the end of the tokens. */
function expectTiling(rendered: RenderedTrajectory, first: number): void {
  expect(rendered.messageSpans.map((span) => span.message)).toEqual(rendered.messageSpans.map((_, index) => index));
  let position = first;
  for (const span of rendered.messageSpans) {
    expect(span.start).toBe(position);
    expect(span.end).toBeGreaterThanOrEqual(span.start);
    position = span.end;
  }
  expect(position).toBe(rendered.tokenIds.length);
}

function expectActionSpans(rendered: RenderedTrajectory, trajectory: Trajectory): void {
  expect(rendered.actionSpans).toEqual(trajectory.actionSteps.map((step) => rendered.messageSpans[step]));
  expect(rendered.actionSpans.map((span) => span.message)).toEqual(trajectory.actionSteps);
}

describe('the transformers.js tokenizer adapter', () => {
  it('encodes without special tokens and names BOS and EOS', () => {
    expect(tokenizer.bosTokenId).toBe(SPECIAL_TOKEN_IDS.bos);
    expect(tokenizer.eosTokenId).toBe(SPECIAL_TOKEN_IDS.eos);
    const ids = tokenizer.encode('[assistant]: Hi!');
    expect(ids).not.toContain(SPECIAL_TOKEN_IDS.bos);
    expect(tokenizer.decodeTokens(ids)).toEqual(['[', 'assistant', ']', ':', ' Hi', '!']);
    expect(tokenizer.encode('')).toEqual([]);
  });

  it('renders with the tokenizer’s own chat template, without a generation prompt', () => {
    const ids = tokenizer.applyChatTemplate!([{ role: 'user', content: 'Hi there, I need my booking.' }], {});
    expect(tokenizer.decodeTokens(ids).join('')).toBe('<bos>user: Hi there, I need my booking.\n');
  });

  it('has no applyChatTemplate when the tokenizer has no template', () => {
    const config = { ...buildTokenizerConfigJson({ modelMaxLength: 8 }), chat_template: undefined };
    const bare = new PreTrainedTokenizer(buildWordLevelTokenizerJson(['hi']), config);
    expect(fromTransformersTokenizer(bare).applyChatTemplate).toBeNull();
    expect(fromTransformersTokenizer(bare, { chatTemplate: TAGGED_TEMPLATE }).applyChatTemplate).not.toBeNull();
  });

  it('loadTokenizer reads the same tokenizer from the model folder', async () => {
    const loaded = await loadTokenizer('tiny');
    expect(loaded.vocabularyFingerprint).toBe(tokenizer.vocabularyFingerprint);
    expect(loaded.encode('[user]: ###TRANSFER###')).toEqual(tokenizer.encode('[user]: ###TRANSFER###'));
  });
});

describe('plain mode token spans', () => {
  it('starts with BOS and tokenizes the first message of a τ²-bench simulation piece by piece', () => {
    const rendered = renderPlain(transferSimulation, tokenizer);
    expect(rendered.mode).toBe('plain');
    expect(rendered.tokenIds[0]).toBe(SPECIAL_TOKEN_IDS.bos);
    expect(rendered.messageSpans[0]).toEqual({ message: 0, start: 1, end: 14 });
    expect(tokenizer.decodeTokens(rendered.tokenIds.slice(1, 14))).toEqual([
      '[', 'assistant', ']', ':', ' Hi', '!', ' How', ' can', ' I', ' help', ' you', ' today', '?',
    ]);
  });

  it.each(everyTrajectory.map((trajectory) => [`${trajectory.format} ${trajectory.id}`, trajectory] as const))(
    '%s: spans tile the sequence after BOS and decode to each message’s text',
    (_, trajectory) => {
      const rendered = renderPlain(trajectory, tokenizer);
      const texts = renderPlainTexts(trajectory);
      expect(rendered.tokenIds[0]).toBe(SPECIAL_TOKEN_IDS.bos);
      expect(rendered.tokenIds.slice(1)).not.toContain(SPECIAL_TOKEN_IDS.unk);
      expectTiling(rendered, 1);
      texts.forEach((text, message) => expect(decodeSpan(rendered, message)).toBe(text));
      expectActionSpans(rendered, trajectory);
    },
  );

  it('is BOS followed by each message’s text encoded on its own (LogprobScorer.score)', () => {
    const rendered = renderPlain(handCrafted, tokenizer);
    const expected = [SPECIAL_TOKEN_IDS.bos, ...renderPlainTexts(handCrafted).flatMap((text) => tokenizer.encode(text))];
    expect(rendered.tokenIds).toEqual(expected);
  });

  it('puts no BOS first when the tokenizer has none', () => {
    const noBos: TokenizerLike = { ...tokenizer, bosTokenId: null };
    const rendered = renderPlain(transferSimulation, noBos);
    const withBos = renderPlain(transferSimulation, tokenizer);
    expect(rendered.tokenIds).toEqual(withBos.tokenIds.slice(1));
    expectTiling(rendered, 0);
  });

  it('renderTrajectory(…, "plain") is plain mode', () => {
    expect(renderTrajectory(algorithmGenerated, tokenizer, 'plain')).toEqual(renderPlain(algorithmGenerated, tokenizer));
  });

  it('an action step that is not a message index is a RenderError', () => {
    const broken: Trajectory = { ...clean, actionSteps: [1, 9] };
    expect(() => renderPlain(broken, tokenizer)).toThrow(
      new RenderError('trajectory clean: action step 9 is not a message index (the trajectory has 4 messages)'),
    );
  });
});

describe('chat-template messages', () => {
  it('passes an assistant’s calls as objects and a tool result’s call id', () => {
    const messages = toChatTemplateMessages(transferSimulation.messages);
    expect(messages[2]).toEqual({
      role: 'assistant',
      content: transferSimulation.messages[2].content,
      tool_calls: [
        {
          id: 'call_32641254',
          type: 'function',
          function: {
            name: 'transfer_to_human_agents',
            arguments: {
              summary:
                'User James Patel requested to remove a passenger from his reservation, which is against policy as the number of passengers cannot be changed.',
            },
          },
        },
      ],
    });
    expect(messages[3]).toEqual({ role: 'tool', content: 'Transfer successful', tool_call_id: 'call_32641254' });
    expect(messages[5]).toEqual({ role: 'user', content: '###TRANSFER###' });
  });

  it('names the agent of multi-agent logs and leaves out a user’s own tool calls', () => {
    expect(toChatTemplateMessages(algorithmGenerated.messages)[1]).toMatchObject({ role: 'user', name: 'Computer_terminal' });
    expect(toChatTemplateMessages(handCrafted.messages).slice(0, 2).map(({ role, name }) => ({ role, name }))).toEqual([
      { role: 'user', name: undefined },
      { role: 'assistant', name: 'Orchestrator' },
    ]);
    const [userCalls] = parseText(
      'user-calls.json',
      JSON.stringify({
        simulations: [
          {
            id: 'u',
            messages: [{ role: 'user', content: 'Toggling.', tool_calls: [{ id: 'u1', name: 'toggle', arguments: {}, requestor: 'user' }] }],
          },
        ],
      }),
    );
    expect(toChatTemplateMessages(userCalls.messages)).toEqual([{ role: 'user', content: 'Toggling.' }]);
  });
});

describe('chat mode token spans', () => {
  it('with the folder’s default template: each span is what its message added, BOS left out', () => {
    const rendered = renderChat(clean, tokenizer);
    expect(rendered.mode).toBe('chat');
    expect(rendered.tokenIds[0]).toBe(SPECIAL_TOKEN_IDS.bos);
    expectTiling(rendered, 1);
    expect(clean.messages.map((_, message) => decodeSpan(rendered, message))).toEqual([
      'user: Hi there, I need my booking.\n',
      'assistant: Let me look.\n',
      'tool: {"id": "AB12", "seats": 2}\n',
      'assistant: You have 2 seats.\n',
    ]);
    expectActionSpans(rendered, clean);
    expect(renderTrajectory(clean, tokenizer, 'chat')).toEqual(rendered);
  });

  it.each(everyTrajectory.map((trajectory) => [`${trajectory.format} ${trajectory.id}`, trajectory] as const))(
    '%s with a tagged template: every prefix renders to the tokens up to its message’s end',
    (_, trajectory) => {
      const tagged = withTemplate(TAGGED_TEMPLATE);
      const rendered = renderChat(trajectory, tagged);
      expectTiling(rendered, 1);
      expect(rendered.tokenIds.slice(1)).not.toContain(SPECIAL_TOKEN_IDS.unk);
      const chatMessages = toChatTemplateMessages(trajectory.messages);
      rendered.messageSpans.forEach((span, k) => {
        expect(rendered.tokenIds.slice(0, span.end)).toEqual(tagged.applyChatTemplate!(chatMessages.slice(0, k + 1), {}));
      });
      const fullText = templateText(rawTokenizer, TAGGED_TEMPLATE, trajectory, trajectory.messages.length);
      expect(tokenizer.decodeTokens(rendered.tokenIds).join('')).toBe(fullText);
      expectActionSpans(rendered, trajectory);
    },
  );

  it('with a tagged template: an assistant’s call and a tool result decode as the template wrote them', () => {
    const rendered = renderChat(transferSimulation, withTemplate(TAGGED_TEMPLATE));
    expect(decodeSpan(rendered, 2)).toBe(
      "<assistant> Hello James, I'm happy to assist you with your request. However, according to our policy, I must inform " +
        "you that it's not possible to change the number of passengers on a reservation, even to remove one. This rule applies " +
        'to all reservations and cannot be modified, even by a human agent.\n\nTo proceed, I need to transfer you to a human ' +
        'agent who might be able to provide further assistance or discuss alternative options. Let me arrange that for you.\n\n' +
        ' [call transfer_to_human_agents {"summary": "User James Patel requested to remove a passenger from his reservation, ' +
        'which is against policy as the number of passengers cannot be changed."}] </assistant>\n',
    );
    expect(decodeSpan(rendered, 3)).toBe('<tool> Transfer successful [for call_32641254] </tool>\n');
  });

  it('hands the tools to the template; what comes before message 0 belongs to message 0', () => {
    const rendered = renderChat(clean, withTemplate(TOOLS_TEMPLATE), { tools: TWO_TOOLS });
    expect(decodeSpan(rendered, 0)).toBe('2 tools\nuser: Hi there, I need my booking.\n');
    expect(decodeSpan(rendered, 1)).toBe('assistant: Let me look.\n');
    expect(renderTrajectory(clean, withTemplate(TOOLS_TEMPLATE), 'chat', { tools: TWO_TOOLS })).toEqual(rendered);
  });

  it('a template with a message count first cannot be split into messages, as written or mapped', () => {
    expect(() => renderChat(transferSimulation, withTemplate(COUNT_TEMPLATE))).toThrow(
      new RenderError(
        "the chat template's rendering could not be split into messages: message 0 (assistant) renders to no token, where the renderings of " +
          'the conversation’s prefixes put it (as written and mapped onto alternating user / assistant turns); render this trajectory in plain mode instead',
      ),
    );
  });

  it('a template that renders only the last message cannot be split into messages', () => {
    expect(() => renderTrajectory(transferSimulation, withTemplate(LAST_ONLY_TEMPLATE), 'chat')).toThrow(
      new RenderError(
        "the chat template's rendering could not be split into messages: message 0 (assistant) renders to no token, where the renderings of " +
          'the conversation’s prefixes put it (as written and mapped onto alternating user / assistant turns); render this trajectory in plain mode instead',
      ),
    );
  });

  it('white space the tokenizer merges across a message boundary goes to the later message; the tokens are the whole rendering’s', () => {
    // Message 2's text ends in "\n\n" and the default template adds "\n": alone that is one "\n\n\n"
    // token; once "tool: …" follows, the tokenizer cuts it into "\n\n" + "\n" (no longer prefix-stable).
    const throughMessage2 = tokenizer.applyChatTemplate!(toChatTemplateMessages(transferSimulation.messages.slice(0, 3)), {});
    expect(tokenizer.decodeTokens(throughMessage2.slice(-1))).toEqual(['\n\n\n']);
    const rendered = renderChat(transferSimulation, tokenizer);
    expect(rendered.tokenIds).toEqual(tokenizer.applyChatTemplate!(toChatTemplateMessages(transferSimulation.messages), {}));
    expect(rendered.chatMapping).toBeUndefined();
    expectTiling(rendered, 1);
    expect(rendered.messageSpans[2].end).toBe(throughMessage2.length - 1);
    expect(decodeSpan(rendered, 2)).toBe(`assistant: ${transferSimulation.messages[2].content.trimEnd()}`);
    expect(decodeSpan(rendered, 3)).toBe('\n\n\ntool: Transfer successful\n');
    expectActionSpans(rendered, transferSimulation);
  });

  it('a template that refuses the log as written gets it mapped onto alternating turns, and says so', () => {
    const raising = withTemplate(RAISING_TEMPLATE);
    const rendered = renderChat(transferSimulation, raising);
    const mapped = toAlternatingTurns(transferSimulation.messages);
    expect(rendered.tokenIds).toEqual(raising.applyChatTemplate!(mapped.messages, {}));
    expect(rendered.chatMapping).toEqual({
      reason: `the chat template failed on the whole conversation (${transferSimulation.messages.length} messages): tool messages are not supported`,
      changes: [
        'tool results (message 3) written as user turns in ```tool_output``` blocks',
        'tool calls of message 2 written into the assistant text as ```tool_code``` blocks',
        'an empty user turn inserted before message 0 (the template opens with a user turn)',
      ],
    });
    expectTiling(rendered, 1);
    expectActionSpans(rendered, transferSimulation);
    expect(decodeSpan(rendered, 0)).toBe(`user: \nassistant: ${transferSimulation.messages[0].content}\n`);
    expect(decodeSpan(rendered, 3)).toBe('user: ```tool_output\nTransfer successful\n```\n');
  });

  it('a tokenizer with no template is a RenderError', () => {
    expect(() => renderChat(clean, { ...tokenizer, applyChatTemplate: null })).toThrow(
      new RenderError('the tokenizer has no chat template; render this trajectory in plain mode instead'),
    );
  });

  it('a trajectory with no messages renders to no tokens', () => {
    expect(renderChat({ ...clean, messages: [], actionSteps: [] }, tokenizer)).toEqual({
      mode: 'chat',
      tokenIds: [],
      messageSpans: [],
      actionSpans: [],
    });
  });
});
