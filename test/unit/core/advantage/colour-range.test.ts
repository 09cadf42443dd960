import { describe, expect, it } from 'vitest';
import { fittedColourRange, heatmapColourRange, readableRangeAtLeast, tokenAdvantagesOf } from '../../../../src/core/advantage';

describe('the fitted colour range', () => {
  it('rounds up to a readable value', () => {
    expect(readableRangeAtLeast(0.37)).toBe(0.4);
    expect(readableRangeAtLeast(0.4)).toBe(0.4);
    expect(readableRangeAtLeast(0.11)).toBe(0.15);
    expect(readableRangeAtLeast(1)).toBe(1);
    expect(readableRangeAtLeast(1.01)).toBe(1.5);
    expect(readableRangeAtLeast(2.2)).toBe(2.5);
    expect(readableRangeAtLeast(8.5)).toBe(10);
    expect(readableRangeAtLeast(0.0123)).toBe(0.015);
    expect(readableRangeAtLeast(1e9)).toBe(1e6);
    expect(readableRangeAtLeast(1e-9)).toBe(1e-4);
  });

  it('reaches the 95th percentile of |A|, so a few extreme tokens saturate and the rest spread over the scale', () => {
    // 100 values 0.01 … 1.00 (signs alternate): the 95th is 0.95 → 1.
    const values = Array.from({ length: 100 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1) / 100);
    expect(fittedColourRange(values)).toBe(1);
    // One outlier of 50 among small advantages does not blow the range up.
    expect(fittedColourRange([...Array.from({ length: 99 }, () => 0.3), 50])).toBe(0.3);
    // The demo's scale: ±0.01–0.5 is fitted at 0.5, not the fixed ±2.
    expect(fittedColourRange([0.01, -0.02, 0.05, -0.1, 0.2, -0.3, 0.45, 0.01, -0.05, 0.12])).toBe(0.5);
  });

  it('has nothing to fit without a finite non-zero value', () => {
    expect(fittedColourRange([])).toBeNull();
    expect(fittedColourRange([0, 0, 0])).toBeNull();
    expect(fittedColourRange([NaN, Infinity])).toBeNull();
    // Mostly zeros: the largest value is fitted.
    expect(fittedColourRange([...Array.from({ length: 99 }, () => 0), 0.7])).toBe(0.8);
  });

  it('reads the token advantages β·(log π_θ − log π_ref) of the records, and keeps the fixed range when asked', () => {
    const record = { steps: [{ message: 1, policy: [-1, -2], reference: [-1.5, -1] }] } as never;
    expect([...tokenAdvantagesOf([record], 0.5)]).toEqual([0.25, -0.5]);
    expect(heatmapColourRange({ colourRangeMode: 'fitted', colourRange: 2 }, [record], 0.5)).toBe(0.5);
    expect(heatmapColourRange({ colourRangeMode: 'fixed', colourRange: 2 }, [record], 0.5)).toBe(2);
    // Nothing to fit: the fixed value.
    expect(heatmapColourRange({ colourRangeMode: 'fitted', colourRange: 3 }, [], 1)).toBe(3);
  });
});
