/**
 * Cell colours of the aggregation sweep: viridis (sequential, perceptually uniform, colour-blind
 * safe), brighter for better, over the range of the defined cells.
 */
import { interpolateViridis } from 'd3';
import type { SweepMetric } from '../../core/scores/evaluate';
import { maxOf, minOf } from '../../core/arrays';

/** Metrics where a smaller value is better: their scale runs the other way. */
export function lowerIsBetter(metric: SweepMetric): boolean {
  return metric === 'fa-mae';
}

export interface CellColour {
  background: string;
  text: string;
  /** Position on the scale, 0 (worst) to 1 (best). */
  t: number;
}

/** Colours of every cell; null for an undefined cell. All cells equal sit mid-scale. */
export function sweepCellColours(values: readonly (readonly (number | null)[])[], metric: SweepMetric): (CellColour | null)[][] {
  const defined = values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const low = minOf(defined);
  const high = maxOf(defined);
  return values.map((row) =>
    row.map((value) => {
      if (value === null || !Number.isFinite(value)) return null;
      const fraction = high === low ? 0.5 : (value - low) / (high - low);
      const t = lowerIsBetter(metric) ? 1 - fraction : fraction;
      // Viridis is dark up to about its middle: light text there, dark text on the yellow-green end.
      return { background: interpolateViridis(t), text: t < 0.55 ? '#ffffff' : '#111111', t };
    }),
  );
}
