/**
 * The heatmap's colour range fitted to the scores on screen: the 95th percentile of |A| over the
 * tokens shown, rounded up to a readable value (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ). A fixed range
 * of ±2 draws the demo pair's advantages of ±0.01–0.5 almost white; a fitted one uses the scale.
 */
import type { ScoreRecord } from '../scores/format';

/** The quantile of |A| the fitted range reaches (a few extreme tokens saturate, the rest spread out). */
export const FITTED_RANGE_QUANTILE = 0.95;

const READABLE_STEPS = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10] as const;
/** The fitted range stays within these bounds (inside the setting's bounds: 0 < range ≤ 10⁶). */
const SMALLEST_RANGE = 1e-4;
const LARGEST_RANGE = 1e6;

/** The smallest readable value (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ) at or above `x` (> 0). */
export function readableRangeAtLeast(x: number): number {
  const clamped = Math.min(LARGEST_RANGE, Math.max(SMALLEST_RANGE, x));
  const exponent = Math.floor(Math.log10(clamped));
  const unit = 10 ** exponent;
  for (const step of READABLE_STEPS) {
    // Written through toPrecision so that 0.1 · 1.5 reads 0.15, not 0.15000000000000002.
    const value = Number((step * unit).toPrecision(6));
    if (value >= clamped * (1 - 1e-12)) return Math.min(LARGEST_RANGE, value);
  }
  return LARGEST_RANGE;
}

/**
 * The fitted range of a set of advantages: the `quantile` of their absolute values, rounded up to a
 * readable value. Null when there is nothing to fit (no finite value, or all of them 0).
 */
export function fittedColourRange(advantages: Iterable<number>, quantile = FITTED_RANGE_QUANTILE): number | null {
  const magnitudes: number[] = [];
  for (const a of advantages) if (Number.isFinite(a)) magnitudes.push(Math.abs(a));
  if (magnitudes.length === 0) return null;
  magnitudes.sort((x, y) => x - y);
  // Nearest rank: the smallest value at or above the quantile of the values.
  const rank = Math.min(magnitudes.length - 1, Math.max(0, Math.ceil(quantile * magnitudes.length) - 1));
  let q = magnitudes[rank];
  // Mostly zeros: fit the largest one rather than nothing.
  if (q === 0) q = magnitudes[magnitudes.length - 1];
  return q > 0 ? readableRangeAtLeast(q) : null;
}

/** The token advantages A = β·(log π_θ − log π_ref) of records, as the heatmap colours them. */
export function* tokenAdvantagesOf(records: Iterable<Pick<ScoreRecord, 'steps'>>, beta: number): Generator<number> {
  for (const record of records) {
    for (const step of record.steps) {
      const n = Math.min(step.policy.length, step.reference.length);
      for (let i = 0; i < n; i++) yield beta * (step.policy[i] - step.reference[i]);
    }
  }
}

/** How the heatmap's range is chosen: fitted to the scores shown, or the fixed ±colourRange. */
export interface ColourRangeSettings {
  colourRangeMode: 'fitted' | 'fixed';
  colourRange: number;
}

/** The range the heatmap draws with: fitted to `records` (falling back to the fixed value when there is nothing to fit), or fixed. */
export function heatmapColourRange(settings: ColourRangeSettings, records: Iterable<Pick<ScoreRecord, 'steps'>>, beta: number): number {
  if (settings.colourRangeMode === 'fixed') return settings.colourRange;
  return fittedColourRange(tokenAdvantagesOf(records, beta)) ?? settings.colourRange;
}
