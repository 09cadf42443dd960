/** The geometry of a running-advantage sparkline: a path, the zero line and a marked step. Pure. */
import { line, scaleLinear } from 'd3';
import { valueExtent } from '../curve/curve-model';

export interface SparklineModel {
  width: number;
  height: number;
  /** SVG path through one point per step; empty without steps. */
  path: string;
  zeroY: number;
  /** The point of the marked step (the decisive one), or null. */
  marked: { x: number; y: number } | null;
}

/** Room so that the line and its marked dot are not clipped at the edges. */
const PAD = 3;

/** `values`: one per step; null at an unscored step leaves a gap in the line. */
export function buildSparkline(values: readonly (number | null)[], width: number, height: number, markedPosition: number | null): SparklineModel {
  const x = scaleLinear()
    .domain([0, Math.max(1, values.length - 1)])
    .range([PAD, width - PAD]);
  const y = scaleLinear().domain(valueExtent([values])).range([height - PAD, PAD]);
  const path = values.length === 0 ? '' : (line<number | null>().defined((v) => v !== null).x((_, i) => x(i)).y((v) => y(v as number))(Array.from(values)) ?? '');
  const markedValue = markedPosition !== null && markedPosition >= 0 && markedPosition < values.length ? values[markedPosition] : null;
  const marked = markedValue === null ? null : { x: x(markedPosition as number), y: y(markedValue) };
  return { width, height, path, zeroY: y(0), marked };
}
