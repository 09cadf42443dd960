/**
 * Progress advantage A_t = β·(log π_θ(a_t|s_t) − log π_ref(a_t|s_t)) over action tokens, its step and
 * trajectory aggregates, and the confidence baselines computed from the same forward pass
 * (docs/architecture.md §1; docs/eval.md gives every formula).
 */

import {
  aggregateSteps,
  aggregateTokens,
  type NumberSequence,
  type StepAggregation,
  type TokenAggregation,
} from './aggregate';

export const ADVANTAGE_MODES = ['difference', 'per-model'] as const;
/**
 * `difference`: aggregate the token advantages A_t over the span (the mathematically grounded one).
 * `per-model`: β·(agg(log π_θ[span]) − agg(log π_ref[span])), as the reference code does; equal to
 * `difference` for mean / sum / last, different for min / max, and defined for two tokenizers.
 */
export type AdvantageMode = (typeof ADVANTAGE_MODES)[number];

export const SCORING_METHODS = [
  'progress',
  'policy-logprob',
  'reference-logprob',
  'self-certainty',
  'deepconf-tail',
  'deepconf-b10',
] as const;
export type ScoringMethod = (typeof SCORING_METHODS)[number];

/** The certainty baselines read `topkMean` and leave steps without tokens out of the trajectory score. */
export const CERTAINTY_METHODS: readonly ScoringMethod[] = ['self-certainty', 'deepconf-tail', 'deepconf-b10'];

/**
 * What a step without figures counts as (a step is unscored when the scorer produced no log-probs for it:
 * beyond the model's context, refused by the renderer, cancelled). `skip`: it has no score, is left out
 * of the trajectory aggregate, of the running advantage and of the failure predictors, and is counted;
 * `zero`: it scores 0 and counts in every aggregate, as the reference code does (parity with the paper).
 */
export const UNSCORED_POLICIES = ['skip', 'zero'] as const;
export type UnscoredPolicy = (typeof UNSCORED_POLICIES)[number];

export function isAdvantageMode(name: string): name is AdvantageMode {
  return (ADVANTAGE_MODES as readonly string[]).includes(name);
}

export function isScoringMethod(name: string): name is ScoringMethod {
  return (SCORING_METHODS as readonly string[]).includes(name);
}

export function isCertaintyMethod(method: ScoringMethod): boolean {
  return CERTAINTY_METHODS.includes(method);
}

/** The per-token figures of one action step (the score format's step satisfies this). */
export interface StepLogprobs {
  /** log π_θ of each action token of the step. */
  policy: NumberSequence;
  /** log π_ref of each action token (in the reference model's own tokenization under `per-model`). */
  reference: NumberSequence;
  /** Per policy token: the mean of the policy's top-20 log-probs (the reference code's self-certainty proxy). */
  topkMean?: NumberSequence | null;
}

export interface ScoringOptions {
  method: ScoringMethod;
  tokenAggregation: TokenAggregation;
  /** Ignored by `deepconf-tail` (always `last`) and `deepconf-b10` (always `bottom10`). */
  stepAggregation: StepAggregation;
  /** Only `progress` reads it. */
  mode: AdvantageMode;
  /** KL coefficient β > 0; only `progress` is scaled by it. */
  beta: number;
  /** What an unscored step counts as; absent: `skip`. */
  unscored?: UnscoredPolicy;
}

/**
 * Whether the scorer produced the figures `method` reads for this step: `progress` needs both sides'
 * log-probs, the log-prob baselines their own side, the certainty baselines the policy's tokens.
 */
export function isStepScored(step: StepLogprobs, method: ScoringMethod): boolean {
  switch (method) {
    case 'progress':
      return step.policy.length > 0 && step.reference.length > 0;
    case 'reference-logprob':
      return step.reference.length > 0;
    default:
      return step.policy.length > 0;
  }
}

/** A step's figures cannot be scored as asked; `field` names the offending field (`steps[2].reference`). */
export class StepInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'StepInputError';
  }
}

export function assertValidBeta(beta: number): void {
  if (!Number.isFinite(beta) || beta <= 0) throw new RangeError(`β must be a finite number > 0, got ${beta}`);
}

function assertFiniteValues(values: NumberSequence, field: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new StepInputError(`${field}[${i}]`, `not a finite number (${values[i]})`);
  }
}

/**
 * Per-token progress advantage A_t = β·(policy[t] − reference[t]). Both arrays must cover the same
 * tokens (same length); `field` prefixes the error's field name.
 */
export function tokenAdvantages(
  policy: NumberSequence,
  reference: NumberSequence,
  beta: number,
  field = 'step',
): number[] {
  assertValidBeta(beta);
  if (policy.length !== reference.length) {
    throw new StepInputError(
      `${field}.reference`,
      `has ${reference.length} log-probs but ${field}.policy has ${policy.length}; the difference mode needs one pair per token (use --mode per-model for two tokenizers)`,
    );
  }
  assertFiniteValues(policy, `${field}.policy`);
  assertFiniteValues(reference, `${field}.reference`);
  const advantages = new Array<number>(policy.length);
  for (let t = 0; t < policy.length; t++) advantages[t] = beta * (policy[t] - reference[t]);
  return advantages;
}

/** The progress advantage of one step; a step with no tokens scores 0. */
export function progressStepScore(
  step: StepLogprobs,
  options: Pick<ScoringOptions, 'tokenAggregation' | 'mode' | 'beta'>,
  field = 'step',
): number {
  if (options.mode === 'difference') {
    return aggregateTokens(tokenAdvantages(step.policy, step.reference, options.beta, field), options.tokenAggregation);
  }
  assertValidBeta(options.beta);
  assertFiniteValues(step.policy, `${field}.policy`);
  assertFiniteValues(step.reference, `${field}.reference`);
  // Each side aggregates to 0 when empty, as in the reference code.
  return (
    options.beta *
    (aggregateTokens(step.policy, options.tokenAggregation) - aggregateTokens(step.reference, options.tokenAggregation))
  );
}

function topkMeanOf(step: StepLogprobs, field: string): NumberSequence {
  const topkMean = step.topkMean;
  if (topkMean == null) {
    if (step.policy.length === 0) return [];
    throw new StepInputError(
      `${field}.topkMean`,
      'missing; self-certainty and DeepConf need the mean of the top-20 log-probs of every policy token',
    );
  }
  if (topkMean.length !== step.policy.length) {
    throw new StepInputError(
      `${field}.topkMean`,
      `has ${topkMean.length} values but ${field}.policy has ${step.policy.length}; it needs one per policy token`,
    );
  }
  assertFiniteValues(topkMean, `${field}.topkMean`);
  return topkMean;
}

/** The score of one action step under `options.method`; a step with no tokens scores 0. */
export function stepScore(step: StepLogprobs, options: ScoringOptions, field = 'step'): number {
  switch (options.method) {
    case 'progress':
      return progressStepScore(step, options, field);
    case 'policy-logprob':
      assertFiniteValues(step.policy, `${field}.policy`);
      return aggregateTokens(step.policy, options.tokenAggregation);
    case 'reference-logprob':
      assertFiniteValues(step.reference, `${field}.reference`);
      return aggregateTokens(step.reference, options.tokenAggregation);
    case 'self-certainty':
    case 'deepconf-tail':
    case 'deepconf-b10':
      return aggregateTokens(topkMeanOf(step, field), options.tokenAggregation);
  }
}

/** The step aggregation a method really uses: DeepConf's variants fix it. */
export function effectiveStepAggregation(options: Pick<ScoringOptions, 'method' | 'stepAggregation'>): StepAggregation {
  if (options.method === 'deepconf-tail') return 'last';
  if (options.method === 'deepconf-b10') return 'bottom10';
  return options.stepAggregation;
}

export interface TrajectoryScore {
  /**
   * One score per action step, in order. An unscored step (`isStepScored`) is null under `skip` and 0
   * under `zero`.
   */
  stepScores: (number | null)[];
  /**
   * The scored steps' scores aggregated, or null when there is nothing to aggregate: no action step,
   * no scored step under `skip`, or (certainty methods, which leave steps without tokens out as the
   * reference code does) no step with tokens under `zero`.
   */
  score: number | null;
  /** Action steps the scorer produced no figures for (counted under either policy). */
  unscoredSteps: number;
}

/** Scores every action step and the whole trajectory. Throws `StepInputError` naming `steps[i].field`. */
export function scoreTrajectory(steps: readonly StepLogprobs[], options: ScoringOptions): TrajectoryScore {
  assertValidBeta(options.beta);
  const skip = (options.unscored ?? 'skip') === 'skip';
  let unscoredSteps = 0;
  const stepScores = steps.map((step, i) => {
    const scored = isStepScored(step, options.method);
    if (!scored) unscoredSteps++;
    // Validate a step's figures even when they go unused, so a malformed step is never silently dropped.
    const value = stepScore(step, options, `steps[${i}]`);
    return scored || !skip ? value : null;
  });
  const aggregated: number[] = [];
  stepScores.forEach((value, i) => {
    if (value === null) return;
    if (isCertaintyMethod(options.method) && steps[i].policy.length === 0) return;
    aggregated.push(value);
  });
  return {
    stepScores,
    score: aggregated.length === 0 ? null : aggregateSteps(aggregated, effectiveStepAggregation(options)),
    unscoredSteps,
  };
}

/** Running advantage: the cumulative sum of the step scores (the step-evolution curve); null at an unscored step, which adds nothing. */
export function runningAdvantage(stepScores: readonly (number | null)[]): (number | null)[] {
  const running = new Array<number | null>(stepScores.length);
  let total = 0;
  for (let i = 0; i < stepScores.length; i++) {
    const value = stepScores[i];
    if (value === null) {
      running[i] = null;
      continue;
    }
    total += value;
    running[i] = total;
  }
  return running;
}

/**
 * k-advantage: at each scored step, the sum of the scores of the k scored steps ending there (fewer
 * at the start); null at an unscored step. k = 1 gives the step scores themselves.
 */
export function kStepAdvantage(stepScores: readonly (number | null)[], k: number): (number | null)[] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be an integer ≥ 1, got ${k}`);
  const window: number[] = [];
  return stepScores.map((value) => {
    if (value === null) return null;
    window.push(value);
    if (window.length > k) window.shift();
    let total = 0;
    for (const v of window) total += v;
    return total;
  });
}
