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
  /** Chat mode only, when the template could not take the log as written: how it was mapped and why. */
  chatMapping?: ChatMapping;
}

/** What chat rendering changed so that the template could take an agent log (src/core/render/strict-roles.ts). */
export interface ChatMapping {
  /** Why: what the template did with the log as written. */
  reason: string;
  /** What was changed, one sentence each, naming the messages. */
  changes: string[];
}

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}
