/**
 * What makes a normalised trajectory usable, checked in one place: at load (src/core/trajectory/
 * ingest.ts, after the format adapter) and when an analysis bundle is written or read
 * (src/core/bundle/schema.ts). Whatever loads can therefore always be exported, and a bundle holds
 * nothing a file could not. Structural problems refuse the trajectory; a label that does not fit
 * (a mistake step past the last message, a reward that is not finite) is dropped at load with a
 * notice, and refused in a bundle (bundles are written by this app, which never writes one).
 */
import type { Labels, Trajectory } from './types';

export interface TrajectoryProblem {
  /** Path inside the trajectory (`['labels', 'mistakeStep']`, `['actionSteps', 3]`). */
  path: (string | number)[];
  message: string;
  /** The label at fault: loading drops it and keeps the trajectory. Absent: the trajectory itself is unusable. */
  label?: keyof Labels;
}

/** Every problem of a trajectory, structural ones first; empty when it is usable as it is. */
export function trajectoryProblems(trajectory: Pick<Trajectory, 'messages' | 'actionSteps' | 'labels'>): TrajectoryProblem[] {
  const { messages, actionSteps, labels } = trajectory;
  const problems: TrajectoryProblem[] = [];
  const count = messages.length;
  if (count === 0) problems.push({ path: ['messages'], message: 'the trajectory has no messages: expected at least one' });
  for (let i = 0; i < actionSteps.length; i++) {
    if (actionSteps[i] >= count) {
      problems.push({ path: ['actionSteps', i], message: `message ${actionSteps[i]} does not exist (the trajectory has ${count} messages)` });
      break;
    }
    if (i > 0 && actionSteps[i] <= actionSteps[i - 1]) {
      problems.push({ path: ['actionSteps', i], message: `${actionSteps[i]} does not come after ${actionSteps[i - 1]}; action steps must ascend` });
      break;
    }
  }
  const step = labels.mistakeStep;
  if (step !== undefined) {
    if (!Number.isSafeInteger(step) || step < 0) {
      problems.push({ path: ['labels', 'mistakeStep'], label: 'mistakeStep', message: `${step} is not a message index (a whole number ≥ 0)` });
    } else if (step >= count) {
      problems.push({ path: ['labels', 'mistakeStep'], label: 'mistakeStep', message: `message ${step} does not exist (the trajectory has ${count} messages)` });
    }
  }
  if (labels.reward !== undefined && !Number.isFinite(labels.reward)) {
    problems.push({ path: ['labels', 'reward'], label: 'reward', message: `the reward ${labels.reward} is not a finite number` });
  }
  return problems;
}

/**
 * The trajectory as it may be loaded: `refusal` when it cannot be (a structural problem), else the
 * trajectory without the labels that do not fit and what was dropped. A dropped reward takes the
 * success it implied with it.
 */
export function checkLoadedTrajectory(trajectory: Trajectory): { refusal: TrajectoryProblem | null; dropped: TrajectoryProblem[] } {
  const problems = trajectoryProblems(trajectory);
  const refusal = problems.find((p) => p.label === undefined) ?? null;
  if (refusal) return { refusal, dropped: [] };
  for (const problem of problems) {
    if (problem.label === 'reward') delete trajectory.labels.success;
    delete trajectory.labels[problem.label!];
  }
  return { refusal: null, dropped: problems };
}
