/**
 * The dataset view's comparison cards: the confidence baselines beside the progress advantage,
 * and the token × step aggregation sweep (a heatmap table). Figures from core's evaluator.
 */
import { useMemo } from 'react';
import { SWEEP_METRIC_WORDS } from '../share/describe';
import { isSweepMetric, SWEEP_METRICS, sweepMetricUsesStepAggregation, type EvaluationOptions, type EvaluationReport, type SweepMetric, type SweepResult } from '../../core/scores/evaluate';
import type { ScoringMethod } from '../../core/advantage/progress';
import type { FailurePredictor } from '../../core/metrics/failure';
import { formatMetric } from './format-metric';
import { lowerIsBetter, sweepCellColours } from './sweep-colours';
import { ImageExportButtons } from '../share/ImageExportButtons';
import { exportSweepImage } from '../share/exports';
import { maxOf, minOf } from '../../core/arrays';

const METHOD_LABELS: Record<ScoringMethod, string> = {
  progress: 'progress advantage β·(log π_θ − log π_ref)',
  'policy-logprob': 'policy log-prob (log π_θ)',
  'reference-logprob': 'reference log-prob (log π_ref)',
  'self-certainty': 'self-certainty (mean of the top-20 log-probs)',
  'deepconf-tail': 'DeepConf tail (last step)',
  'deepconf-b10': 'DeepConf bottom-10 % steps',
};

const SWEEP_METRIC_LABELS = SWEEP_METRIC_WORDS;

export interface MethodReport {
  method: ScoringMethod;
  report: EvaluationReport;
}

/** A cell of the baselines table: the number, or a dash whose reason is in its tooltip and the notes below. */
function MetricCell({ value, reason }: { value: number | null | undefined; reason: string | null }) {
  const defined = value !== null && value !== undefined;
  return (
    <td data-value={defined ? value : ''} title={defined ? undefined : (reason ?? undefined)}>
      {formatMetric(value)}
    </td>
  );
}

/** What one method's report puts in the baselines table: its figures and why any is undefined. */
interface BaselineRow {
  method: ScoringMethod;
  /** Why the method cannot score any trajectory (e.g. no top-20 log-probs), else null. */
  cannotRun: string | null;
  /** Trajectories this method skips while scoring the others. */
  skipped: EvaluationReport['skipped'];
  cells: { value: number | null | undefined; reason: string | null }[];
}

function baselineRow({ method, report }: MethodReport, predictor: FailurePredictor): BaselineRow {
  if (report.trajectories.length === 0) {
    return { method, cannotRun: report.skipped[0]?.reason ?? 'nothing to evaluate', skipped: report.skipped, cells: [] };
  }
  const uq = report.uncertainty;
  const noReward = 'no scored trajectory has a reward';
  return {
    method,
    cannotRun: null,
    skipped: report.skipped,
    cells: [
      { value: uq?.auroc, reason: uq ? uq.aurocReason : noReward },
      { value: uq?.spearman, reason: uq ? uq.spearmanReason : noReward },
      { value: report.bestOfN?.successRate, reason: report.bestOfN ? null : noReward },
      { value: report.failureAttribution?.[predictor].accuracy, reason: report.failureAttribution ? null : 'no scored trajectory has a labelled mistake step' },
    ],
  };
}

export function BaselinesCard({ baselines, options, predictor }: { baselines: MethodReport[] | null; options: EvaluationOptions; predictor: FailurePredictor }) {
  const rows = baselines?.map((b) => baselineRow(b, predictor)) ?? null;
  // Each distinct reason for a dash, said once under the table.
  const reasons = [...new Set(rows?.flatMap((r) => r.cells.filter((c) => c.value == null && c.reason).map((c) => c.reason as string)) ?? [])];
  return (
    <section className="dataset-card dataset-card-wide" aria-labelledby="baselines-title">
      <h3 id="baselines-title">Baselines beside the progress advantage</h3>
      <p className="card-note">
        Every method from the same forward pass, token → step {options.tokenAggregation}, step → trajectory {options.stepAggregation} (DeepConf fixes its own).
      </p>
      {rows === null ? (
        <p className="muted" data-testid="baselines-computing">
          computing…
        </p>
      ) : (
        <>
          <table className="metric-table" data-testid="baselines-table">
            <thead>
              <tr>
                <th scope="col">method</th>
                <th scope="col">AUROC</th>
                <th scope="col">Spearman ρ</th>
                <th scope="col">best-of-N success</th>
                <th scope="col">FA accuracy ({predictor})</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr
                  key={row.method}
                  data-method={row.method}
                  data-runnable={row.cannotRun === null}
                  className={row.method === options.method ? 'metric-row-current' : undefined}
                >
                  <th scope="row" title={METHOD_LABELS[row.method]}>
                    {row.method}
                    {row.cannotRun === null && row.skipped.length > 0 && (
                      <span className="metric-reason baseline-skipped">
                        {' '}
                        ({row.skipped.length} skipped: {row.skipped[0].reason})
                      </span>
                    )}
                  </th>
                  {row.cannotRun !== null ? (
                    <td colSpan={4} className="metric-reason">
                      cannot run: {row.cannotRun}
                    </td>
                  ) : (
                    row.cells.map((cell, i) => <MetricCell key={i} value={cell.value} reason={cell.reason} />)
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {reasons.length > 0 && (
            <ul className="card-note metric-reasons">
              {reasons.map((r) => (
                <li key={r}>— undefined: {r}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

export function SweepCard({ sweep, options, metric, onMetric }: { sweep: SweepResult | null; options: EvaluationOptions; metric: SweepMetric; onMetric(metric: SweepMetric): void }) {
  const colours = useMemo(() => (sweep ? sweepCellColours(sweep.values, sweep.metric) : null), [sweep]);
  const defined = sweep ? sweep.values.flat().filter((v): v is number => v !== null) : [];
  const fixedStep = options.method === 'deepconf-tail' || options.method === 'deepconf-b10';
  return (
    <section className="dataset-card dataset-card-wide" aria-labelledby="sweep-title">
      <h3 id="sweep-title">Aggregation sweep: token → step × step → trajectory</h3>
      <label className="sweep-metric-picker">
        metric{' '}
        <select
          data-testid="sweep-metric"
          value={metric}
          onChange={(e) => {
            const value = e.currentTarget.value;
            if (isSweepMetric(value)) onMetric(value);
          }}
        >
          {SWEEP_METRICS.map((m) => (
            <option key={m} value={m}>
              {SWEEP_METRIC_LABELS[m]}
            </option>
          ))}
        </select>
      </label>
      {sweep === null || colours === null || sweep.metric !== metric ? (
        <p className="muted" data-testid="sweep-computing">
          computing…
        </p>
      ) : (
        <>
          <table className="sweep-table" data-testid="sweep-table" data-metric={sweep.metric}>
            <thead>
              <tr>
                <th scope="col">token \ step</th>
                {sweep.stepAggregations.map((s) => (
                  <th key={s} scope="col">
                    {s}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {sweep.tokenAggregations.map((tokenAggregation, i) => (
                <tr key={tokenAggregation}>
                  <th scope="row">{tokenAggregation}</th>
                  {sweep.stepAggregations.map((stepAggregation, j) => {
                    const value = sweep.values[i][j];
                    const colour = colours[i][j];
                    const current = tokenAggregation === options.tokenAggregation && stepAggregation === options.stepAggregation;
                    return (
                      <td
                        key={stepAggregation}
                        data-token-aggregation={tokenAggregation}
                        data-step-aggregation={stepAggregation}
                        data-value={value ?? ''}
                        className={current ? 'sweep-current' : undefined}
                        style={colour ? { background: colour.background, color: colour.text } : undefined}
                        title={value === null ? `${SWEEP_METRIC_LABELS[sweep.metric]} undefined for ${tokenAggregation} × ${stepAggregation}` : undefined}
                      >
                        {formatMetric(value)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          <ImageExportButtons testIdPrefix="export-sweep" label="the sweep table" onExport={(format) => exportSweepImage(sweep.metric, format)} />
          {defined.length > 0 && (
            <div className="sweep-legend" aria-label="Colour scale">
              <span>{formatMetric(lowerIsBetter(sweep.metric) ? maxOf(defined) : minOf(defined))}</span>
              <span className="sweep-legend-ramp" />
              <span>{formatMetric(lowerIsBetter(sweep.metric) ? minOf(defined) : maxOf(defined))}</span>
              <span className="muted">brighter is better{lowerIsBetter(sweep.metric) ? ' (lower MAE)' : ''}</span>
            </div>
          )}
          <p className="card-note">
            {SWEEP_METRIC_LABELS[sweep.metric]}
            {sweep.metric.startsWith('fa-') || sweep.metric === 'agent-accuracy' ? ` (${sweep.predictor})` : ''} of {options.method}; {sweep.n} trajectories. The outlined cell is the
            current setting. {defined.length === 0 && `Undefined in every cell: ${undefinedSweepReason(sweep.metric)}.`}
            {!sweepMetricUsesStepAggregation(sweep.metric) && ' Failure attribution reads the step scores only, so each row repeats.'}
            {fixedStep && sweepMetricUsesStepAggregation(sweep.metric) && ` ${options.method} fixes the step aggregation, so each row repeats.`}
          </p>
        </>
      )}
    </section>
  );
}

function undefinedSweepReason(metric: SweepMetric): string {
  switch (metric) {
    case 'auroc':
      return 'it needs scored trajectories with rewards of both classes (success and failure)';
    case 'spearman':
      return 'it needs at least two rewarded trajectories whose scores and rewards vary';
    case 'bestofn':
    case 'bestofn-reward':
      return 'no scored trajectory has a reward';
    case 'fa-accuracy':
    case 'fa-within1':
    case 'fa-within2':
    case 'fa-mae':
      return 'no scored trajectory has a labelled mistake step';
    case 'agent-accuracy':
      return 'no scored trajectory has a labelled mistake agent';
  }
}
