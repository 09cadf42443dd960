/**
 * Chat-template rendering: the trajectory as the policy's own chat template writes it (docs/architecture.md §2).
 *
 * The tokens are the template's rendering of the whole conversation, exactly what
 * `apply_chat_template(messages, tools)` gives; each message's span is located in it from the
 * renderings of the prefixes (locate-messages.ts), so templates that write the last turn differently
 * (Qwen3, Llama 3) are rendered as they are. A template that cannot take the log as written (it
 * raises, as Gemma 3's does on anything but alternating user / assistant turns, or its rendering
 * cannot be split into the messages) gets the log mapped as the model's own tooling would
 * (strict-roles.ts); the rendering then says what was changed and why (`chatMapping`), and the score
 * record carries it. A template that cannot take either is a RenderError naming the message.
 *
 * Cost: one template call per message (rendering and tokenizing a prefix), so the work grows as
 * n × the trajectory's length. Fine for agent trajectories of a few hundred messages.
 */
import type { ChatTemplateMessage, TokenizerLike } from '../engine/types';
import type { Message, Trajectory } from '../trajectory/types';
import { locateMessageSpans } from './locate-messages';
import { actionSpansOf } from './spans';
import { toAlternatingTurns } from './strict-roles';
import { RenderError, type ChatMapping, type MessageSpan, type RenderedTrajectory } from './types';

export interface ChatRenderOptions {
  /** JSON-Schema tool definitions handed to the template (`tools`); absent, the trajectory's own (`metadata.tools`). */
  tools?: unknown[];
}

/**
 * A message as chat templates expect it: role system | user | assistant | tool; `name` (a tool
 * result's tool name, elsewhere the agent's name); an assistant's tool calls as
 * `{id, type: 'function', function: {name, arguments: object}}`; a tool result's `tool_call_id`.
 * Tool calls on other messages (τ²-bench's user-side calls) are left out: templates only render an
 * assistant's calls, and plain mode leaves them out too.
 */
export function toChatTemplateMessage(message: Message): ChatTemplateMessage {
  const chatMessage: ChatTemplateMessage = { role: message.role, content: message.content };
  const name = message.role === 'tool' ? message.toolName : message.name;
  if (name !== undefined) chatMessage.name = name;
  if (message.role === 'assistant' && message.toolCalls && message.toolCalls.length > 0) {
    chatMessage.tool_calls = message.toolCalls.map((call) => ({
      ...(call.id === undefined ? {} : { id: call.id }),
      type: 'function' as const,
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  if (message.role === 'tool' && message.toolCallId !== undefined) chatMessage.tool_call_id = message.toolCallId;
  return chatMessage;
}

export function toChatTemplateMessages(messages: readonly Message[]): ChatTemplateMessage[] {
  return messages.map(toChatTemplateMessage);
}

/**
 * The tool definitions a trajectory carries for the template: `metadata.tools` as OpenAI chat,
 * OpenHands and ShareGPT records write it (an array of objects, or that array as a JSON string).
 */
export function toolDefinitionsOf(trajectory: Trajectory): unknown[] | undefined {
  let tools: unknown = trajectory.metadata.tools;
  if (typeof tools === 'string') {
    try {
      tools = JSON.parse(tools);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  return tools.every((tool) => typeof tool === 'object' && tool !== null && !Array.isArray(tool)) ? tools : undefined;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How the trajectory's messages are handed to the template: as written, or mapped onto alternating turns. */
interface Mapping {
  messagesFor(messages: readonly Message[]): ChatTemplateMessage[];
}

const AS_WRITTEN: Mapping = { messagesFor: toChatTemplateMessages };
const ALTERNATING: Mapping = { messagesFor: (messages) => toAlternatingTurns(messages).messages };

/** Text whose presence in a span shows the span holds the message: the end of its text, white space ignored. */
function textMark(content: string): string | null {
  const squeezed = content.replace(/\s+/g, '');
  if (squeezed.length === 0) return null;
  const mark = squeezed.slice(-16);
  // Tokens decoded one by one spell out printable ASCII exactly; other text may be split mid-character.
  return /^[\x21-\x7e]+$/.test(mark) ? mark : null;
}

/** The spans of the trajectory's messages in the template's rendering under one mapping, or a RenderError. */
function renderWith(trajectory: Trajectory, tokenizer: TokenizerLike, mapping: Mapping, tools: unknown[] | undefined): { tokenIds: number[]; messageSpans: MessageSpan[] } {
  const applyChatTemplate = tokenizer.applyChatTemplate!;
  const templateOptions = tools === undefined ? {} : { tools };
  const { messages } = trajectory;
  let full: number[];
  try {
    full = applyChatTemplate(mapping.messagesFor(messages), templateOptions);
  } catch (error) {
    throw new RenderError(`the chat template failed on the whole conversation (${messages.length} messages): ${describeError(error)}`);
  }
  let ending: number[] | null;
  try {
    ending = applyChatTemplate([], templateOptions);
  } catch {
    ending = null; // a template that needs a message has no ending of its own to strip
  }
  const prefixOf = (k: number): number[] => {
    try {
      return applyChatTemplate(mapping.messagesFor(messages.slice(0, k + 1)), templateOptions);
    } catch (error) {
      throw new RenderError(`the chat template failed on messages 0–${k} (message ${k} is ${messages[k].role}): ${describeError(error)}`);
    }
  };
  const spans = locateMessageSpans(full, messages.length, prefixOf, ending, tokenizer.bosTokenId);
  const messageSpans = spans.map((span, message) => ({ message, ...span }));
  for (const span of messageSpans) {
    const message = messages[span.message];
    const mark = textMark(message.content);
    if (message.content.trim().length === 0) continue;
    const spanText = mark === null ? '' : tokenizer.decodeTokens(full.slice(span.start, span.end)).join('').replace(/\s+/g, '');
    if (span.end === span.start || (mark !== null && !spanText.includes(mark))) {
      throw new RenderError(
        `the chat template's rendering could not be split into messages: message ${span.message} (${message.role}) ` +
          (span.end === span.start ? 'renders to no token' : `is not in tokens ${span.start}–${span.end}`) +
          ', where the renderings of the conversation’s prefixes put it',
      );
    }
  }
  return { tokenIds: full, messageSpans };
}

/**
 * Renders the trajectory with the tokenizer's chat template (no generation prompt) and locates every
 * message's span. Message 0's span starts after a leading BOS, as in plain mode; the template's own
 * markup (role headers, end-of-turn tokens) belongs to the message it surrounds, what the template
 * writes after the last message to that message. A trajectory with no messages renders to no tokens.
 */
export function renderChat(trajectory: Trajectory, tokenizer: TokenizerLike, options: ChatRenderOptions = {}): RenderedTrajectory {
  if (tokenizer.applyChatTemplate === null) {
    throw new RenderError('the tokenizer has no chat template; render this trajectory in plain mode instead');
  }
  if (trajectory.messages.length === 0) return { mode: 'chat', tokenIds: [], messageSpans: [], actionSpans: [] };
  const tools = options.tools ?? toolDefinitionsOf(trajectory);
  let rendered: { tokenIds: number[]; messageSpans: MessageSpan[] };
  let chatMapping: ChatMapping | undefined;
  try {
    rendered = renderWith(trajectory, tokenizer, AS_WRITTEN, tools);
  } catch (asWritten) {
    if (!(asWritten instanceof RenderError)) throw asWritten;
    try {
      rendered = renderWith(trajectory, tokenizer, ALTERNATING, tools);
    } catch (error) {
      if (!(error instanceof RenderError)) throw error;
      const both = error.message === asWritten.message ? `${error.message} (as written and mapped onto alternating user / assistant turns)` : `${asWritten.message}; mapped onto alternating user / assistant turns, ${error.message}`;
      throw new RenderError(`${both}; render this trajectory in plain mode instead`);
    }
    chatMapping = { reason: asWritten.message, changes: toAlternatingTurns(trajectory.messages).changes };
  }
  return {
    mode: 'chat',
    ...rendered,
    actionSpans: actionSpansOf(trajectory, rendered.messageSpans),
    ...(chatMapping === undefined ? {} : { chatMapping }),
  };
}
