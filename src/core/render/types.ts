/** A trajectory rendered to one token sequence, with every message's token span (docs/architecture.md §2). */
import type { RenderMode } from '../settings/vocabularies';

/** `plain` or `chat` (declared with the other shared lists in src/core/settings). */
export type { RenderMode };

export interface MessageSpan {
  /** Index into the trajectory's messages. */
  message: number;
  /** Token positions [start, end) in `tokenIds`; start === end when the message renders to no token. */
  start: number;
  end: number;
}

export interface RenderedTrajectory {
  mode: RenderMode;
  tokenIds: number[];
  /** One span per message, in message order. */
  messageSpans: MessageSpan[];
  /** The spans of the action steps (trajectory.actionSteps), in order. */
  actionSpans: MessageSpan[];
}

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}
