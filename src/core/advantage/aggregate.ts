/**
 * Token → step and step → trajectory aggregations (docs/architecture.md §1, names as in the reference code's
 * `pa/aggregations.py`).
 */

export const TOKEN_AGGREGATIONS = ['mean', 'sum', 'last', 'min', 'max'] as const;
export type TokenAggregation = (typeof TOKEN_AGGREGATIONS)[number];

export const STEP_AGGREGATIONS = ['mean', 'sum', 'last', 'min', 'max', 'bottom10'] as const;
export type StepAggregation = (typeof STEP_AGGREGATIONS)[number];

/** Per-token figures: plain arrays from JSON, typed arrays from a scoring worker. */
export type NumberSequence = ArrayLike<number>;

export function isTokenAggregation(name: string): name is TokenAggregation {
  return (TOKEN_AGGREGATIONS as readonly string[]).includes(name);
}

export function isStepAggregation(name: string): name is StepAggregation {
  return (STEP_AGGREGATIONS as readonly string[]).includes(name);
}

function sumOf(values: NumberSequence): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}

function minOf(values: NumberSequence): number {
  let lowest = values[0];
  for (let i = 1; i < values.length; i++) if (values[i] < lowest) lowest = values[i];
  return lowest;
}

function maxOf(values: NumberSequence): number {
  let highest = values[0];
  for (let i = 1; i < values.length; i++) if (values[i] > highest) highest = values[i];
  return highest;
}

/** Aggregates the values of one span's tokens. An empty span aggregates to 0 (the reference code's rule). */
export function aggregateTokens(values: NumberSequence, aggregation: TokenAggregation): number {
  if (values.length === 0) return 0;
  switch (aggregation) {
    case 'mean':
      return sumOf(values) / values.length;
    case 'sum':
      return sumOf(values);
    case 'last':
      return values[values.length - 1];
    case 'min':
      return minOf(values);
    case 'max':
      return maxOf(values);
  }
}

/** How many of `stepCount` step scores `bottom10` averages: ⌈stepCount / 10⌉, at least one. */
export function bottomTenPercentCount(stepCount: number): number {
  return Math.max(1, Math.ceil(stepCount / 10));
}

/**
 * Aggregates step scores to one trajectory score. `bottom10` is the mean of the lowest
 * ⌈10 %⌉ of the step scores (at least one). No steps aggregates to 0 (the reference code's rule);
 * callers that must tell "no steps" apart check the length first.
 */
export function aggregateSteps(stepScores: NumberSequence, aggregation: StepAggregation): number {
  if (stepScores.length === 0) return 0;
  if (aggregation === 'bottom10') {
    const ascending = Array.from(stepScores).sort((a, b) => a - b);
    const lowest = ascending.slice(0, bottomTenPercentCount(ascending.length));
    return sumOf(lowest) / lowest.length;
  }
  return aggregateTokens(stepScores, aggregation);
}
