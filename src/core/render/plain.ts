/**
 * The reference code's plain rendering (deeplearning-wisc/progress-advantage, `pa/trajectory.py` and
 * `pa/scoring.py`), byte for byte. It has two renderers and this module follows both:
 *
 *  - `render_tau2_messages` (τ²-bench, and here every format but Who&When): message i is
 *    `[ROLE]: content`, prefixed by `\n` when i > 0. An assistant message gets its tool calls appended
 *    as `\n` + the calls joined by `\n`, each `tool_call(NAME, ARGS)` with ARGS as Python's `str(dict)`
 *    writes the arguments; its text is then `(content + calls).strip()`, or `[assistant action]` when
 *    that is empty. Other messages are neither stripped nor given their tool calls (τ²-bench's
 *    user-side calls do not appear).
 *  - `render_fa_messages` (Who&When failure attribution): `[ROLE]: content` with the same `\n`
 *    separator for every message — no stripping, no tool calls, no placeholder. Algorithm-Generated
 *    logs keep their `assistant` / `user` roles, Hand-Crafted logs their agent labels.
 *
 * ROLE is the role string as the source file writes it (`message.sourceRole`). Token ids: BOS first
 * when the tokenizer has one, then every message's text encoded on its own (no special tokens) and
 * concatenated, as `LogprobScorer.score` does; each message keeps its span.
 */
import type { TokenizerLike } from '../engine/types';
import type { Message, ToolCall, Trajectory } from '../trajectory/types';
import { pythonRepr, pythonStrip } from './python';
import { actionSpansOf, appendTokens } from './spans';
import type { MessageSpan, RenderedTrajectory } from './types';

/** What an assistant message with neither text nor tool calls renders as. */
export const EMPTY_ACTION_TEXT = '[assistant action]';

/** Which of the reference code's renderers a trajectory gets. */
export type PlainRenderer = 'tau2' | 'failure-attribution';

export function plainRendererFor(trajectory: Trajectory): PlainRenderer {
  return trajectory.format === 'who-and-when' ? 'failure-attribution' : 'tau2';
}

function isJsonObjectText(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * The ARGS part of `tool_call(NAME, ARGS)`: Python's `str()` of the arguments dict. Where the source's
 * argument string was not a JSON object (the parser then keeps it in `rawArguments` with empty
 * `arguments`), the string itself is written, as Python's f-string writes a `str`.
 */
export function plainToolArgumentsText(call: ToolCall): string {
  if (call.rawArguments !== undefined && Object.keys(call.arguments).length === 0 && !isJsonObjectText(call.rawArguments)) {
    return call.rawArguments;
  }
  return pythonRepr(call.arguments);
}

/** `tool_call(NAME, ARGS)`. */
export function plainToolCallText(call: ToolCall): string {
  return `tool_call(${call.name}, ${plainToolArgumentsText(call)})`;
}

/** The body after `[ROLE]: ` of an assistant message in the τ²-bench renderer. */
function assistantActionText(message: Message): string {
  const calls = (message.toolCalls ?? []).map(plainToolCallText);
  const callsText = calls.length > 0 ? `\n${calls.join('\n')}` : '';
  return pythonStrip(message.content + callsText) || EMPTY_ACTION_TEXT;
}

/** Each message's text exactly as the reference code renders it, separators included. */
export function renderPlainTexts(trajectory: Trajectory): string[] {
  const renderer = plainRendererFor(trajectory);
  return trajectory.messages.map((message, index) => {
    const separator = index > 0 ? '\n' : '';
    const body = renderer === 'tau2' && message.role === 'assistant' ? assistantActionText(message) : message.content;
    return `${separator}[${message.sourceRole}]: ${body}`;
  });
}

/** BOS (when the tokenizer has one), then each message's text encoded on its own; spans per message. */
export function renderPlain(trajectory: Trajectory, tokenizer: TokenizerLike): RenderedTrajectory {
  const tokenIds: number[] = [];
  if (tokenizer.bosTokenId !== null) tokenIds.push(tokenizer.bosTokenId);
  const messageSpans: MessageSpan[] = renderPlainTexts(trajectory).map((text, message) => {
    const start = tokenIds.length;
    appendTokens(tokenIds, tokenizer.encode(text));
    return { message, start, end: tokenIds.length };
  });
  return { mode: 'plain', tokenIds, messageSpans, actionSpans: actionSpansOf(trajectory, messageSpans) };
}
