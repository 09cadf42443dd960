import { describe, expect, it } from 'vitest';
import { datasetScopeText } from '../../../../src/ui/dataset/dataset-scope';
import { DEFAULT_EVALUATION_OPTIONS } from '../../../../src/core/scores/evaluate';

const report = (unscored: 'skip' | 'zero', counts = { trajectories: 12, partial: 5, steps: 40 }, skipped = 0) => ({
  options: { ...DEFAULT_EVALUATION_OPTIONS, unscored },
  skipped: Array.from({ length: skipped }, (_, i) => ({ line: i + 1, id: null, reason: 'x' })),
  unscored: counts,
});

describe('datasetScopeText', () => {
  it('says what the figures cover, what they left out and why, and the partly scored', () => {
    expect(datasetScopeText({ listed: 200, loaded: 599, notScoredYet: 0, report: report('skip') })).toBe(
      '200 listed trajectories of 599 loaded; 12 left out: 12 no scored step; 5 partly scored; 40 steps unscored in all (left out of the aggregates)',
    );
    expect(datasetScopeText({ listed: 3, loaded: 3, notScoredYet: 1, report: report('skip', { trajectories: 0, partial: 0, steps: 0 }, 1) })).toBe(
      '3 listed trajectories of 3 loaded; 2 left out: 1 not scored yet, 1 cannot be evaluated with these settings',
    );
  });

  it('under zero nothing is left out for lack of scored steps: they count as 0', () => {
    expect(datasetScopeText({ listed: 1, loaded: 2, notScoredYet: 0, report: report('zero', { trajectories: 1, partial: 0, steps: 2 }) })).toBe(
      '1 listed trajectory of 2 loaded; 1 trajectory with no scored step counted as 0; 2 steps unscored in all (counted as 0: reference-code parity)',
    );
  });
});
