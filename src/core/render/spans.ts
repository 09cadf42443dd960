import type { Trajectory } from '../trajectory/types';
import { RenderError, type MessageSpan } from './types';

/** The spans of `trajectory.actionSteps`, in order; an action step that names no message is an error. */
export function actionSpansOf(trajectory: Trajectory, messageSpans: readonly MessageSpan[]): MessageSpan[] {
  return trajectory.actionSteps.map((step) => {
    const span = messageSpans[step];
    if (span === undefined) {
      throw new RenderError(
        `trajectory ${trajectory.id}: action step ${step} is not a message index (the trajectory has ${messageSpans.length} messages)`,
      );
    }
    return span;
  });
}

/** Appends `ids` to `target` in place (no spread: token lists can outgrow the argument limit). */
export function appendTokens(target: number[], ids: readonly number[]): void {
  for (const id of ids) target.push(id);
}
