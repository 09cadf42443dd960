import { describe, expect, it } from 'vitest';
import { heatmapRangeOf } from '../../../../src/ui/heatmap/heatmap-range';
import { DEFAULT_ANALYSIS_SETTINGS } from '../../../../src/core/settings';

const record = { steps: [{ message: 1, policy: [-1, -1.2, -0.9], reference: [-1.1, -1, -1] }] } as never;

describe('the heatmap range of what is shown', () => {
  it('is fitted to the scores by default and the fixed value when asked (exports read the same)', () => {
    // A = 0.1, -0.2, 0.1 at β = 1: the 95th percentile of |A| is 0.2.
    expect(heatmapRangeOf([record], DEFAULT_ANALYSIS_SETTINGS)).toBe(0.2);
    expect(heatmapRangeOf([record], { ...DEFAULT_ANALYSIS_SETTINGS, evaluation: { ...DEFAULT_ANALYSIS_SETTINGS.evaluation, beta: 0.5 } })).toBe(0.1);
    expect(heatmapRangeOf([record], { ...DEFAULT_ANALYSIS_SETTINGS, colourRangeMode: 'fixed', colourRange: 3 })).toBe(3);
    // Nothing scored: the fixed value.
    expect(heatmapRangeOf([], DEFAULT_ANALYSIS_SETTINGS)).toBe(DEFAULT_ANALYSIS_SETTINGS.colourRange);
  });
});
