/** The token × step aggregation sweep as a standalone SVG table: viridis cells, the current setting outlined. */
import { coordinate, markup } from '../../../core/report/escape';
import type { SweepResult } from '../../../core/scores/evaluate';
import { formatMetric } from '../../dataset/format-metric';
import { lowerIsBetter, sweepCellColours } from '../../dataset/sweep-colours';
import { EXPORT_COLOURS, frameSvg } from './frame';
import { maxOf, minOf } from '../../../core/arrays';

const CELL_WIDTH = 84;
const CELL_HEIGHT = 28;
const ROW_HEADER = 110;
const PADDING = 16;

export interface SweepImageInput {
  sweep: SweepResult;
  /** The metric in words (AUROC, best-of-N success rate …). */
  metricLabel: string;
  /** The current aggregations (outlined). */
  current: { tokenAggregation: string; stepAggregation: string };
  modelPair: string;
  settings: string;
}

export function sweepSvg(input: SweepImageInput): string {
  const { sweep } = input;
  const colours = sweepCellColours(sweep.values, sweep.metric);
  const tableWidth = ROW_HEADER + CELL_WIDTH * sweep.stepAggregations.length;
  const width = Math.max(PADDING * 2 + tableWidth, 560);
  const height = CELL_HEIGHT * (sweep.tokenAggregations.length + 1) + 24;
  const c = EXPORT_COLOURS;
  const x0 = PADDING;
  const cells = sweep.tokenAggregations.map((token, i) =>
    sweep.stepAggregations.map((step, j) => {
      const value = sweep.values[i][j];
      const colour = colours[i][j];
      const x = x0 + ROW_HEADER + j * CELL_WIDTH;
      const y = 20 + (i + 1) * CELL_HEIGHT;
      const current = token === input.current.tokenAggregation && step === input.current.stepAggregation;
      return markup`<g data-part="cell" data-token-aggregation="${token}" data-step-aggregation="${step}" data-value="${value === null ? '' : String(value)}"${current ? markup` data-current="true"` : null}><rect x="${x}" y="${y}" width="${CELL_WIDTH}" height="${CELL_HEIGHT}" fill="${
        colour?.background ?? c.background
      }" stroke="${c.grid}" stroke-width="1"/><text x="${coordinate(x + CELL_WIDTH / 2)}" y="${coordinate(y + CELL_HEIGHT / 2)}" font-size="12" text-anchor="middle" dominant-baseline="middle" fill="${
        colour?.text ?? c.muted
      }">${formatMetric(value)}</text></g>`;
    }),
  );
  // Drawn after every cell so that no neighbour covers part of it.
  const currentOutline = () => {
    const i = sweep.tokenAggregations.indexOf(input.current.tokenAggregation as never);
    const j = sweep.stepAggregations.indexOf(input.current.stepAggregation as never);
    if (i < 0 || j < 0) return null;
    return markup`<rect data-part="current-cell" x="${x0 + ROW_HEADER + j * CELL_WIDTH}" y="${20 + (i + 1) * CELL_HEIGHT}" width="${CELL_WIDTH}" height="${CELL_HEIGHT}" fill="none" stroke="${c.text}" stroke-width="2.5"/>`;
  };
  const chart = markup`<text x="${x0}" y="14" font-size="12" fill="${c.text}">${input.metricLabel}${
    sweep.metric.startsWith('fa-') || sweep.metric === 'agent-accuracy' ? ` (${sweep.predictor})` : ''
  }, ${sweep.n} trajectories; rows: token → step, columns: step → trajectory</text>
<text x="${x0}" y="${20 + CELL_HEIGHT / 2}" font-size="11" fill="${c.muted}" dominant-baseline="middle">token \\ step</text>
${sweep.stepAggregations.map(
  (s, j) => markup`<text x="${coordinate(x0 + ROW_HEADER + j * CELL_WIDTH + CELL_WIDTH / 2)}" y="${20 + CELL_HEIGHT / 2}" font-size="12" font-weight="600" text-anchor="middle" dominant-baseline="middle" fill="${c.text}">${s}</text>`,
)}
${sweep.tokenAggregations.map(
  (t, i) => markup`<text x="${x0}" y="${coordinate(20 + (i + 1.5) * CELL_HEIGHT)}" font-size="12" font-weight="600" dominant-baseline="middle" fill="${c.text}">${t}</text>`,
)}
${cells}
${currentOutline()}`;
  const defined = sweep.values.flat().filter((v): v is number => v !== null);
  const worst = defined.length === 0 ? null : lowerIsBetter(sweep.metric) ? maxOf(defined) : minOf(defined);
  const best = defined.length === 0 ? null : lowerIsBetter(sweep.metric) ? minOf(defined) : maxOf(defined);
  return frameSvg({
    kind: 'sweep-table',
    title: `Aggregation sweep: ${input.metricLabel}`,
    modelPair: input.modelPair,
    settings: input.settings,
    width,
    chartHeight: height,
    chart,
    legend: [
      { mark: 'ramp', colours: ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'], label: `${formatMetric(worst)} (worse) to ${formatMetric(best)} (better)` },
      { mark: 'note', colours: [], label: 'outlined: the current setting' },
      ...(defined.length < sweep.values.flat().length ? [{ mark: 'note' as const, colours: [], label: '—: undefined for that cell' }] : []),
    ],
  }).html;
}
