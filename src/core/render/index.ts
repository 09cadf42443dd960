/** Rendering a trajectory to one token sequence with every message's span (docs/architecture.md §2). */
import type { TokenizerLike } from '../engine/types';
import type { Trajectory } from '../trajectory/types';
import { renderChat, type ChatRenderOptions } from './chat';
import { renderPlain } from './plain';
import type { RenderedTrajectory, RenderMode } from './types';

export type RenderOptions = ChatRenderOptions;

/** `chat`: the tokenizer's chat template, the whole conversation at once; `plain`: the reference code's rendering. */
export function renderTrajectory(
  trajectory: Trajectory,
  tokenizer: TokenizerLike,
  mode: RenderMode,
  options: RenderOptions = {},
): RenderedTrajectory {
  return mode === 'chat' ? renderChat(trajectory, tokenizer, options) : renderPlain(trajectory, tokenizer);
}

export { renderChat, toChatTemplateMessage, toChatTemplateMessages, toolDefinitionsOf, type ChatRenderOptions } from './chat';
export {
  EMPTY_ACTION_TEXT,
  plainRendererFor,
  plainToolArgumentsText,
  plainToolCallText,
  renderPlain,
  renderPlainTexts,
  type PlainRenderer,
} from './plain';
export { isPythonWhitespace, pythonFloatRepr, pythonNumberRepr, pythonRepr, pythonStringRepr, pythonStrip } from './python';
export { RenderError, type ChatMapping, type MessageSpan, type RenderedTrajectory, type RenderMode } from './types';
export { commonPrefixLength, commonSuffixLength, endingLengthIn, locateMessageSpans, messageEndIn, suffixMatchingAt } from './locate-messages';
export { JOINED_TURN_SEPARATOR, assistantTextWithCalls, pythonCallText, toAlternatingTurns, toolOutputText, type AlternatingTurns } from './strict-roles';
