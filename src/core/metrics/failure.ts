/**
 * Failure attribution: predict the decisive error step of a failed trajectory from its step scores
 * (docs/architecture.md §1; the predictors are those of the reference code's `runners/fa.py`).
 *
 * Two index spaces are used and kept apart by name:
 * - a **position** is an index into the list of action steps (0 = the first action step);
 * - a **message** is an index into the trajectory's messages (what `mistakeStep` labels).
 */

export const FAILURE_PREDICTORS = ['min_cumulative', 'sharpest_drop', 'sharpest_abs_drop'] as const;
export type FailurePredictor = (typeof FAILURE_PREDICTORS)[number];

export function isFailurePredictor(name: string): name is FailurePredictor {
  return (FAILURE_PREDICTORS as readonly string[]).includes(name);
}

/**
 * Step scores may hold null for an unscored step (docs/eval.md): the predictors read the scored
 * steps only, in order, and return a position among all action steps (never an unscored one).
 */
export type StepScoreSequence = readonly (number | null)[];

/** The positions of the scored steps. */
function scoredPositions(stepScores: StepScoreSequence): number[] {
  const positions: number[] = [];
  for (let i = 0; i < stepScores.length; i++) if (stepScores[i] !== null) positions.push(i);
  return positions;
}

/** `min_cumulative`: the position where the running sum of the step scores is lowest. */
export function predictMinCumulative(stepScores: StepScoreSequence): number | null {
  let running = 0;
  let lowest = Infinity;
  let position: number | null = null;
  for (let i = 0; i < stepScores.length; i++) {
    const value = stepScores[i];
    if (value === null) continue;
    running += value;
    if (running < lowest) {
      lowest = running;
      position = i;
    }
  }
  return position;
}

/** `sharpest_drop`: the position of the lowest step score (ties: the earliest); the first scored step when no score is negative. */
export function predictSharpestDrop(stepScores: StepScoreSequence): number | null {
  const positions = scoredPositions(stepScores);
  if (positions.length === 0) return null;
  let best = positions[0];
  let negative = false;
  for (const i of positions) {
    const value = stepScores[i] as number;
    if (value < 0) negative = true;
    if (value < (stepScores[best] as number)) best = i;
  }
  return negative ? best : positions[0];
}

/**
 * `sharpest_abs_drop`: the later step of the most negative change between consecutive scored steps
 * (score[i] − score[previous scored]); the first scored step when there are fewer than two or no change is ≤ 0.
 */
export function predictSharpestAbsDrop(stepScores: StepScoreSequence): number | null {
  const positions = scoredPositions(stepScores);
  if (positions.length === 0) return null;
  if (positions.length < 2) return positions[0];
  let position = -1;
  let sharpest = Infinity;
  for (let j = 1; j < positions.length; j++) {
    const change = (stepScores[positions[j]] as number) - (stepScores[positions[j - 1]] as number);
    if (change <= 0 && change < sharpest) {
      sharpest = change;
      position = positions[j];
    }
  }
  return position < 0 ? positions[0] : position;
}

/** The predicted position (index among action steps), or null when no action step is scored. */
export function predictFailurePosition(stepScores: StepScoreSequence, predictor: FailurePredictor): number | null {
  switch (predictor) {
    case 'min_cumulative':
      return predictMinCumulative(stepScores);
    case 'sharpest_drop':
      return predictSharpestDrop(stepScores);
    case 'sharpest_abs_drop':
      return predictSharpestAbsDrop(stepScores);
  }
}

/**
 * The action-step position a labelled mistake message maps to: the last action step at or before
 * that message (the message itself when it is an action step). −1 when the mistake comes before
 * every action step, so that the first action step is one step away from it.
 */
export function mistakePosition(stepMessages: readonly number[], mistakeMessage: number): number {
  let position = -1;
  for (let i = 0; i < stepMessages.length && stepMessages[i] <= mistakeMessage; i++) position = i;
  return position;
}

export interface AttributionCase {
  /** Message index of each action step, ascending. */
  stepMessages: readonly number[];
  /** The scores the predictors read, one per action step (the k-advantage; k = 1: the step scores); null: unscored. */
  stepScores: StepScoreSequence;
  /** Message index of the labelled decisive mistake. */
  mistakeStep: number;
}

export interface FailureAttributionMetrics {
  /** Fraction of trajectories whose predicted message index equals `mistakeStep`. */
  accuracy: number;
  /** Fraction within one action step: |position(predicted) − mistakePosition| ≤ 1. */
  within1: number;
  /** Fraction within two action steps. */
  within2: number;
  /** Mean of |predicted message index − mistakeStep|. */
  mae: number;
  /** Trajectories counted: labelled and with at least one scored action step. */
  n: number;
}

/** Metrics of one predictor over the cases that have a scored action step; null when none has. */
export function failureAttributionMetrics(
  cases: readonly AttributionCase[],
  predictor: FailurePredictor,
): FailureAttributionMetrics | null {
  let n = 0;
  let exact = 0;
  let within1 = 0;
  let within2 = 0;
  let absoluteErrorSum = 0;
  for (const c of cases) {
    if (c.stepScores.length !== c.stepMessages.length) {
      throw new RangeError(`${c.stepScores.length} step scores for ${c.stepMessages.length} action steps`);
    }
    const position = predictFailurePosition(c.stepScores, predictor);
    if (position === null) continue;
    const predictedMessage = c.stepMessages[position];
    const stepDistance = Math.abs(position - mistakePosition(c.stepMessages, c.mistakeStep));
    n++;
    if (predictedMessage === c.mistakeStep) exact++;
    if (stepDistance <= 1) within1++;
    if (stepDistance <= 2) within2++;
    absoluteErrorSum += Math.abs(predictedMessage - c.mistakeStep);
  }
  if (n === 0) return null;
  return { accuracy: exact / n, within1: within1 / n, within2: within2 / n, mae: absoluteErrorSum / n, n };
}

export interface AgentAttributionCase {
  /** Agent name of each action step, where the format names agents. */
  stepAgents: readonly (string | null | undefined)[];
  stepScores: StepScoreSequence;
  mistakeAgent: string;
}

export interface AgentAttributionMetrics {
  /** Fraction of trajectories whose predicted step's agent equals `mistakeAgent` (a step with no agent name never does). */
  accuracy: number;
  n: number;
}

/** Agent-level ("who") accuracy over the cases that have an action step; null when none has. */
export function agentAttributionAccuracy(
  cases: readonly AgentAttributionCase[],
  predictor: FailurePredictor,
): AgentAttributionMetrics | null {
  let n = 0;
  let correct = 0;
  for (const c of cases) {
    const position = predictFailurePosition(c.stepScores, predictor);
    if (position === null) continue;
    n++;
    if (c.stepAgents[position] === c.mistakeAgent) correct++;
  }
  return n === 0 ? null : { accuracy: correct / n, n };
}
