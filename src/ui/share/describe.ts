/** Words for what an export was made with: settings lines, and safe file names. */
import { effectiveStepAggregation } from '../../core/advantage/progress';
import type { FailurePredictor } from '../../core/metrics/failure';
import type { AnalysisSettings } from '../../state/analysis';
import type { SweepMetric } from '../../core/scores/evaluate';

export const PREDICTOR_WORDS: Record<FailurePredictor, string> = {
  min_cumulative: 'lowest running advantage',
  sharpest_drop: 'lowest step score',
  sharpest_abs_drop: 'sharpest fall between steps',
};

/** The settings as (label, value) rows, for reports. */
export function settingsRows(settings: Pick<AnalysisSettings, 'evaluation' | 'predictor' | 'colourRange'>): [string, string][] {
  const o = settings.evaluation;
  return [
    ['scoring method', o.method === 'progress' ? `progress advantage (${o.mode})` : o.method],
    ['β', String(o.beta)],
    ['token → step aggregation', o.tokenAggregation],
    ['step → trajectory aggregation', effectiveStepAggregation(o)],
    ['k-advantage window', String(o.k)],
    ['decisive-step predictor', `${settings.predictor} (${PREDICTOR_WORDS[settings.predictor]})`],
    ['heatmap colour range', `±${settings.colourRange}`],
  ];
}

/** The settings in one line, for images. */
export function settingsLine(settings: Pick<AnalysisSettings, 'evaluation' | 'predictor' | 'colourRange'>): string {
  const o = settings.evaluation;
  const method = o.method === 'progress' ? `progress advantage (${o.mode}, β = ${o.beta})` : o.method;
  return `${method} · token → step ${o.tokenAggregation} · step → trajectory ${effectiveStepAggregation(o)} · k = ${o.k} · predictor ${settings.predictor}`;
}

/** A file name made from untrusted text (a trajectory id): letters, digits, `.`, `_`, `-` only, bounded. */
export function safeFileName(text: string, fallback = 'trajectory'): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 80)
    .replace(/[._]+$/, '');
  return cleaned === '' ? fallback : cleaned;
}

/** The sweep's metrics in words (as the dataset view labels them). */
export const SWEEP_METRIC_WORDS: Record<SweepMetric, string> = {
  auroc: 'AUROC',
  spearman: 'Spearman ρ',
  bestofn: 'best-of-N success rate',
  'bestofn-reward': 'best-of-N mean reward',
  'fa-accuracy': 'failure attribution: accuracy',
  'fa-within1': 'failure attribution: within ±1',
  'fa-within2': 'failure attribution: within ±2',
  'fa-mae': 'failure attribution: MAE',
  'agent-accuracy': 'agent attribution: accuracy',
};
