/** The ROC curve of the trajectory score as confidence of success, as a standalone SVG. */
import { coordinate, markup, type Markup } from '../../../core/report/escape';
import type { RocPoint } from '../../../core/metrics/uncertainty';
import { buildRocModel } from '../../dataset/roc-model';
import { formatMetric } from '../../dataset/format-metric';
import { EXPORT_COLOURS, frameSvg } from './frame';

export const ROC_EXPORT_SIZE = 340;
const ROC_CURVE_COLOUR = '#2166ac';

export interface RocImageInput {
  points: readonly RocPoint[];
  auroc: number | null;
  /** Trajectories with a reward and a score. */
  n: number;
  modelPair: string;
  settings: string;
}

export function rocChart(points: readonly RocPoint[], size = ROC_EXPORT_SIZE): Markup {
  const model = buildRocModel(points, size);
  const { plot } = model;
  const c = EXPORT_COLOURS;
  return markup`${model.ticks.map(
    (t) =>
      markup`<line x1="${coordinate(plot.left)}" x2="${coordinate(plot.right)}" y1="${coordinate(t.y)}" y2="${coordinate(t.y)}" stroke="${c.grid}"/><line x1="${coordinate(t.x)}" x2="${coordinate(t.x)}" y1="${coordinate(
        plot.top,
      )}" y2="${coordinate(plot.bottom)}" stroke="${c.grid}"/><text x="${coordinate(plot.left - 6)}" y="${coordinate(t.y)}" font-size="11" fill="${c.axis}" text-anchor="end" dominant-baseline="middle">${t.value}</text><text x="${coordinate(
        t.x,
      )}" y="${coordinate(plot.bottom + 15)}" font-size="11" fill="${c.axis}" text-anchor="middle">${t.value}</text>`,
  )}
<line x1="${coordinate(plot.left)}" x2="${coordinate(plot.left)}" y1="${coordinate(plot.top)}" y2="${coordinate(plot.bottom)}" stroke="${c.axis}"/>
<line x1="${coordinate(plot.left)}" x2="${coordinate(plot.right)}" y1="${coordinate(plot.bottom)}" y2="${coordinate(plot.bottom)}" stroke="${c.axis}"/>
<line data-part="diagonal" x1="${coordinate(model.diagonal.x1)}" y1="${coordinate(model.diagonal.y1)}" x2="${coordinate(model.diagonal.x2)}" y2="${coordinate(model.diagonal.y2)}" stroke="${c.diagonal}" stroke-dasharray="4 3"/>
<path data-part="roc" d="${model.path}" fill="none" stroke="${ROC_CURVE_COLOUR}" stroke-width="2"/>
${model.points.map(
  (p) =>
    markup`<circle data-part="roc-point" cx="${coordinate(p.x)}" cy="${coordinate(p.y)}" r="2.5" fill="${ROC_CURVE_COLOUR}"><title>${
      p.point.threshold === null ? 'above every score' : `score ≥ ${formatMetric(p.point.threshold)}`
    }: false-positive rate ${formatMetric(p.point.fpr)}, true-positive rate ${formatMetric(p.point.tpr)}</title></circle>`,
)}
<text x="${coordinate((plot.left + plot.right) / 2)}" y="${coordinate(model.height - 4)}" font-size="12" fill="${c.text}" text-anchor="middle">false-positive rate</text>
<text transform="translate(12 ${coordinate((plot.top + plot.bottom) / 2)}) rotate(-90)" font-size="12" fill="${c.text}" text-anchor="middle">true-positive rate</text>`;
}

export function rocSvg(input: RocImageInput): string {
  const chartSize = ROC_EXPORT_SIZE;
  // Wide enough for the header lines; the chart sits at the left.
  const width = Math.max(chartSize, 680);
  return frameSvg({
    kind: 'roc-curve',
    title: `ROC curve (AUROC ${formatMetric(input.auroc)}, n = ${input.n}): trajectory score as confidence of success`,
    modelPair: input.modelPair,
    settings: input.settings,
    width,
    chartHeight: chartSize,
    chart: rocChart(input.points, chartSize),
    legend: [
      { mark: 'line', colours: [ROC_CURVE_COLOUR], label: `ROC curve (AUROC ${formatMetric(input.auroc)})` },
      { mark: 'dashed', colours: [EXPORT_COLOURS.diagonal], label: 'chance' },
    ],
  }).html;
}

/** The chart alone as an inline <svg> (for the HTML report). */
export function inlineRocSvg(points: readonly RocPoint[], label: string): Markup {
  const size = ROC_EXPORT_SIZE;
  return markup`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="${label}"><rect width="${size}" height="${size}" fill="${EXPORT_COLOURS.background}"/>${rocChart(points, size)}</svg>`;
}
