/** The geometry of the ROC curve chart: scales, the curve's path and the chance diagonal. Pure. */
import { line, scaleLinear } from 'd3';
import type { RocPoint } from '../../core/metrics/uncertainty';

export const ROC_MARGIN = { top: 10, right: 12, bottom: 38, left: 46 } as const;

export interface RocModel {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  /** The curve through the core's points, in their order. */
  path: string;
  /** The chance line from (0, 0) to (1, 1). */
  diagonal: { x1: number; y1: number; x2: number; y2: number };
  points: { x: number; y: number; point: RocPoint }[];
  /** Shared by both axes: rates from 0 to 1. */
  ticks: { value: number; x: number; y: number }[];
}

export function buildRocModel(points: readonly RocPoint[], size: number): RocModel {
  const plot = { left: ROC_MARGIN.left, top: ROC_MARGIN.top, right: size - ROC_MARGIN.right, bottom: size - ROC_MARGIN.bottom };
  const x = scaleLinear().domain([0, 1]).range([plot.left, plot.right]);
  const y = scaleLinear().domain([0, 1]).range([plot.bottom, plot.top]);
  const path = line<RocPoint>().x((p) => x(p.fpr)).y((p) => y(p.tpr))(Array.from(points)) ?? '';
  return {
    width: size,
    height: size,
    plot,
    path,
    diagonal: { x1: x(0), y1: y(0), x2: x(1), y2: y(1) },
    points: points.map((point) => ({ x: x(point.fpr), y: y(point.tpr), point })),
    ticks: [0, 0.25, 0.5, 0.75, 1].map((value) => ({ value, x: x(value), y: y(value) })),
  };
}
