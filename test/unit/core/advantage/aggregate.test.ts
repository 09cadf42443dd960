import { describe, expect, it } from 'vitest';
import {
  aggregateSteps,
  aggregateTokens,
  bottomTenPercentCount,
  isStepAggregation,
  isTokenAggregation,
  STEP_AGGREGATIONS,
  TOKEN_AGGREGATIONS,
} from '../../../../src/core/advantage';

describe('aggregateTokens', () => {
  const values = [-0.5, 0.25, -1.5, 0.75];

  it('computes each aggregation by hand', () => {
    expect(aggregateTokens(values, 'mean')).toBe(-0.25); // (−0.5 + 0.25 − 1.5 + 0.75) / 4 = −1 / 4
    expect(aggregateTokens(values, 'sum')).toBe(-1);
    expect(aggregateTokens(values, 'last')).toBe(0.75);
    expect(aggregateTokens(values, 'min')).toBe(-1.5);
    expect(aggregateTokens(values, 'max')).toBe(0.75);
  });

  it('gives 0 for an empty span, whatever the aggregation', () => {
    for (const aggregation of TOKEN_AGGREGATIONS) expect(aggregateTokens([], aggregation)).toBe(0);
  });

  it('returns the value itself for a single token', () => {
    for (const aggregation of TOKEN_AGGREGATIONS) expect(aggregateTokens([-2.5], aggregation)).toBe(-2.5);
  });

  it('reads typed arrays like plain arrays', () => {
    const typed = Float64Array.from(values);
    for (const aggregation of TOKEN_AGGREGATIONS) {
      expect(aggregateTokens(typed, aggregation)).toBe(aggregateTokens(values, aggregation));
    }
  });

  it('handles all-negative and all-positive spans', () => {
    expect(aggregateTokens([-3, -1, -2], 'max')).toBe(-1);
    expect(aggregateTokens([-3, -1, -2], 'min')).toBe(-3);
    expect(aggregateTokens([3, 1, 2], 'min')).toBe(1);
    expect(aggregateTokens([3, 1, 2], 'max')).toBe(3);
  });
});

describe('bottomTenPercentCount', () => {
  it('is ⌈n / 10⌉ with at least one, in exact integer arithmetic', () => {
    // Independent: integer division (n + 9) div 10, by repeated subtraction.
    const ceilTenth = (n: number) => {
      let count = 0;
      for (let rest = n; rest > 0; rest -= 10) count++;
      return Math.max(1, count);
    };
    for (let n = 0; n <= 2000; n++) expect(bottomTenPercentCount(n), `n = ${n}`).toBe(ceilTenth(n));
  });

  it('matches the reference code’s max(1, ceil(0.10 · n))', () => {
    for (let n = 0; n <= 5000; n++) expect(bottomTenPercentCount(n), `n = ${n}`).toBe(Math.max(1, Math.ceil(0.1 * n)));
  });
});

describe('aggregateSteps', () => {
  it('agrees with aggregateTokens for the shared aggregations', () => {
    const scores = [0.5, -0.25, 2, -1];
    for (const aggregation of TOKEN_AGGREGATIONS) {
      expect(aggregateSteps(scores, aggregation)).toBe(aggregateTokens(scores, aggregation));
    }
  });

  it('bottom10 of fewer than 11 steps is the minimum', () => {
    expect(aggregateSteps([0.5], 'bottom10')).toBe(0.5);
    expect(aggregateSteps([3, -1, 2, 0.5, 7, 8, 9, 10, 11, 12], 'bottom10')).toBe(-1);
  });

  it('bottom10 of 11 to 20 steps is the mean of the lowest two', () => {
    const eleven = [5, 4, 3, 2, 1, 0, -1, -2, -3, -4, -6]; // lowest two: −6, −4
    expect(aggregateSteps(eleven, 'bottom10')).toBe(-5);
    const twenty = Array.from({ length: 20 }, (_, i) => i); // lowest two: 0, 1
    expect(aggregateSteps(twenty, 'bottom10')).toBe(0.5);
  });

  it('bottom10 of 21 steps is the mean of the lowest three, ties included once each', () => {
    const scores = [...Array.from({ length: 18 }, () => 1), -1, -1, 0.5]; // lowest three: −1, −1, 0.5
    expect(aggregateSteps(scores, 'bottom10')).toBe(-0.5);
  });

  it('bottom10 of 30 steps averages exactly three', () => {
    const scores = Array.from({ length: 30 }, (_, i) => i + 1); // 1, 2, 3 → 2 (4 steps would give 2.5)
    expect(aggregateSteps(scores, 'bottom10')).toBe(2);
  });

  it('bottom10 does not reorder its input', () => {
    const scores = [3, 1, 2];
    aggregateSteps(scores, 'bottom10');
    expect(scores).toEqual([3, 1, 2]);
  });

  it('bottom10 of all-positive and all-negative scores', () => {
    expect(aggregateSteps([0.25, 0.5, 0.75], 'bottom10')).toBe(0.25);
    expect(aggregateSteps([-0.25, -0.5, -0.75], 'bottom10')).toBe(-0.75);
  });

  it('gives 0 for no steps', () => {
    for (const aggregation of STEP_AGGREGATIONS) expect(aggregateSteps([], aggregation)).toBe(0);
  });
});

describe('aggregation names', () => {
  it('accepts exactly the listed names', () => {
    expect(TOKEN_AGGREGATIONS).toEqual(['mean', 'sum', 'last', 'min', 'max']);
    expect(STEP_AGGREGATIONS).toEqual(['mean', 'sum', 'last', 'min', 'max', 'bottom10']);
    expect(isTokenAggregation('min')).toBe(true);
    expect(isTokenAggregation('bottom10')).toBe(false);
    expect(isStepAggregation('bottom10')).toBe(true);
    expect(isStepAggregation('median')).toBe(false);
  });
});
