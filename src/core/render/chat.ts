/**
 * Chat-template rendering: the trajectory as the policy's own chat template writes it (docs/architecture.md §2).
 *
 * Message k's span is the tokens that adding message k adds: the template renders the growing
 * prefixes messages[0..0], messages[0..1], …, and each rendering must start with the previous one
 * token for token (the prefix property). When it does not — a template that looks at later messages
 * (a message count, only the last turn, dropping earlier reasoning, closing a run of tool results only
 * after the last one), or a tokenizer that merges tokens across a message boundary — the tokens of
 * earlier messages change and no span can be assigned to them honestly: that is a RenderError naming
 * the message, and plain mode is the way out.
 *
 * Cost: n template calls for n messages, each rendering and tokenizing a prefix, so the work grows as
 * n × the trajectory's length (quadratic in the number of messages). Fine for agent trajectories of a
 * few hundred messages.
 */
import type { ChatTemplateMessage, TokenizerLike } from '../engine/types';
import type { Message, Trajectory } from '../trajectory/types';
import { actionSpansOf } from './spans';
import { RenderError, type MessageSpan, type RenderedTrajectory } from './types';

export interface ChatRenderOptions {
  /** JSON-Schema tool definitions handed to the template (`tools`). */
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

/** The first index where the two lists differ, or the shorter length when one is a prefix of the other. */
function firstDifference(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return length;
}

/** The message whose span holds token `position` (message 0 also owns a leading BOS). */
function messageAt(spans: readonly MessageSpan[], position: number): number {
  for (const span of spans) if (position < span.end) return span.message;
  return spans.length - 1;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Renders the trajectory with the tokenizer's chat template (no generation prompt) and finds every
 * message's span from the growing prefixes. Message 0's span starts after a leading BOS, as in plain
 * mode; the template's own markup (role headers, end-of-turn tokens) belongs to the message that
 * added it. A trajectory with no messages renders to no tokens.
 */
export function renderChat(trajectory: Trajectory, tokenizer: TokenizerLike, options: ChatRenderOptions = {}): RenderedTrajectory {
  const applyChatTemplate = tokenizer.applyChatTemplate;
  if (applyChatTemplate === null) {
    throw new RenderError('the tokenizer has no chat template; render this trajectory in plain mode instead');
  }
  const chatMessages = toChatTemplateMessages(trajectory.messages);
  const templateOptions = options.tools === undefined ? {} : { tools: options.tools };
  const messageSpans: MessageSpan[] = [];
  let rendered: number[] = [];
  for (let k = 0; k < chatMessages.length; k++) {
    const role = chatMessages[k].role;
    let next: number[];
    try {
      next = applyChatTemplate(chatMessages.slice(0, k + 1), templateOptions);
    } catch (error) {
      throw new RenderError(`the chat template failed on messages 0–${k} (message ${k} is ${role}): ${describeError(error)}`);
    }
    const changedAt = firstDifference(rendered, next);
    if (changedAt < rendered.length) {
      throw new RenderError(
        `chat-template rendering is not prefix-stable: adding message ${k} (${role}) changed the tokens already rendered for ` +
          `message ${messageAt(messageSpans, changedAt)} (from token position ${changedAt} on); ` +
          'render this trajectory in plain mode instead',
      );
    }
    const start = k === 0 ? (next.length > 0 && next[0] === tokenizer.bosTokenId ? 1 : 0) : rendered.length;
    messageSpans.push({ message: k, start, end: next.length });
    rendered = next;
  }
  return { mode: 'chat', tokenIds: rendered, messageSpans, actionSpans: actionSpansOf(trajectory, messageSpans) };
}
