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

export function buildSparkline(values: readonly number[], width: number, height: number, markedPosition: number | null): SparklineModel {
  const x = scaleLinear()
    .domain([0, Math.max(1, values.length - 1)])
    .range([PAD, width - PAD]);
  const y = scaleLinear().domain(valueExtent([values])).range([height - PAD, PAD]);
  const path = values.length === 0 ? '' : (line<number>().x((_, i) => x(i)).y((v) => y(v))(Array.from(values)) ?? '');
  const marked = markedPosition !== null && markedPosition >= 0 && markedPosition < values.length ? { x: x(markedPosition), y: y(values[markedPosition]) } : null;
  return { width, height, path, zeroY: y(0), marked };
}
