/**
 * Metrics of the loaded, scored set: uncertainty (AUROC, Spearman, ROC), failure attribution,
 * best-of-N, the confidence baselines beside the progress advantage, and the token × step
 * aggregation sweep. Every figure comes from the core (`evaluateRecords`, `sweepAggregations`),
 * the code the CLI's `eval` runs, so the page and the CLI agree exactly; nothing is recomputed here.
 */
import { useCallback, useState } from 'react';
import { useAnalysisStore } from '../../state/analysis';
import { useListedAnalysis } from '../../state/list-view';
import { datasetScopeText } from './dataset-scope';
import {
  evaluateRecords,
  sweepAggregations,
  type EvaluationOptions,
  type EvaluationReport,
  type ExcludedTrajectory,
  type SweepMetric,
  type UncertaintyResult,
} from '../../core/scores/evaluate';
import { effectiveStepAggregation, SCORING_METHODS } from '../../core/advantage/progress';
import { FAILURE_PREDICTORS, type FailurePredictor } from '../../core/metrics/failure';
import type { BestOfNResult } from '../../core/metrics/best-of-n';
import { formatMetric } from './format-metric';
import { buildRocModel } from './roc-model';
import { useDeferredResult } from './use-deferred-result';
import { ImageExportButtons } from '../share/ImageExportButtons';
import { exportRocImage } from '../share/exports';
import '../curve/chart-theme.css';
import { BaselinesCard, SweepCard } from './ComparisonCards';
import './dataset.css';

const ROC_SIZE = 280;

export function DatasetView() {
  const options = useAnalysisStore((s) => s.evaluation);
  const predictor = useAnalysisStore((s) => s.predictor);
  // The listed trajectories (the list's filters), as `eval` would read them: the report, and the records the sweep and baselines evaluate.
  const listed = useListedAnalysis();
  const { report, records } = listed;
  const [metric, setMetric] = useState<SweepMetric>('auroc');
  const scope = datasetScopeText({ listed: listed.listed, loaded: listed.loaded, notScoredYet: listed.notScoredYet, report });
  const computeBaselines = useCallback(
    () => SCORING_METHODS.map((method) => ({ method, report: evaluateRecords(records, { ...options, method }) })),
    [records, options],
  );
  const computeSweep = useCallback(() => sweepAggregations(records, options, metric, predictor), [records, options, metric, predictor]);
  const baselines = useDeferredResult(computeBaselines);
  const sweep = useDeferredResult(computeSweep);

  if (records.length === 0) {
    return (
      <section className="dataset-view" data-testid="dataset-view" data-state="empty" aria-label="Dataset metrics">
        <p className="dataset-scope muted" data-testid="dataset-scope">
          {scope}
        </p>
        <p className="empty-state">Score the listed trajectories to see the dataset metrics.</p>
      </section>
    );
  }

  return (
    <section className="dataset-view" data-testid="dataset-view" data-state="ready" data-scored={records.length} aria-label="Dataset metrics">
      <header className="dataset-header">
        <h2 className="pane-title">Dataset</h2>
        <p className="dataset-scope" data-testid="dataset-scope" data-listed={listed.listed} data-loaded={listed.loaded} data-unscored-trajectories={report.unscored.trajectories} data-partly-scored={report.unscored.partial}>
          {scope}
        </p>
        <p className="dataset-summary">
          {report.trajectories.length} of {listed.listed} listed trajectories evaluated · {optionsLabel(options)}
        </p>
        <SkippedList report={report} />
      </header>
      <div className="dataset-grid">
        <UncertaintyCard uq={report.uncertainty} excluded={report.excluded.uncertainty} />
        <BestOfNCard best={report.bestOfN} excluded={report.excluded.bestOfN} />
        <FailureAttributionCard report={report} predictor={predictor} />
        <BaselinesCard baselines={baselines} options={options} predictor={predictor} />
        <SweepCard sweep={sweep} options={options} metric={metric} onMetric={setMetric} />
      </div>
    </section>
  );
}

function optionsLabel(options: EvaluationOptions): string {
  const method = options.method === 'progress' ? `progress advantage (${options.mode}, β = ${options.beta})` : options.method;
  return `${method}; token → step ${options.tokenAggregation}; step → trajectory ${effectiveStepAggregation(options)}; k = ${options.k}; unscored steps: ${options.unscored === 'skip' ? 'left out' : 'counted as 0'}; groups: ${options.grouping === 'file-task' ? 'task within its file' : 'task across files'}`;
}

/** `3 no reward, 1 no score` from a section's left-out trajectories. */
function exclusionText(excluded: readonly ExcludedTrajectory[]): string | null {
  if (excluded.length === 0) return null;
  const byReason = new Map<string, number>();
  for (const e of excluded) byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
  return `left out: ${[...byReason].map(([reason, count]) => `${count} ${reason}`).join(', ')}`;
}

function SkippedList({ report }: { report: EvaluationReport }) {
  if (report.skipped.length === 0) return null;
  return (
    <details className="dataset-skipped" data-testid="dataset-skipped">
      <summary>
        {report.skipped.length} scored trajector{report.skipped.length === 1 ? 'y' : 'ies'} cannot be evaluated with these settings
      </summary>
      <ul>
        {report.skipped.map((s) => (
          <li key={s.line}>
            {s.id ?? `#${s.line}`}: {s.reason}
          </li>
        ))}
      </ul>
    </details>
  );
}

function UncertaintyCard({ uq, excluded }: { uq: UncertaintyResult | null; excluded: readonly ExcludedTrajectory[] }) {
  const left = exclusionText(excluded);
  return (
    <section className="dataset-card" aria-labelledby="uq-title">
      <h3 id="uq-title">Uncertainty: the score as confidence of success</h3>
      {uq === null ? (
        <p className="metric-reason">Undefined: no scored trajectory has a reward.</p>
      ) : (
        <>
          <dl className="metric-list">
            <dt>AUROC</dt>
            <dd data-testid="dataset-auroc" data-value={uq.auroc ?? ''} data-reason={uq.aurocReason ?? ''}>
              {uq.auroc === null ? <span className="metric-reason">AUROC undefined: {uq.aurocReason}</span> : formatMetric(uq.auroc)}
            </dd>
            <dt>Spearman ρ (score, reward)</dt>
            <dd data-testid="dataset-spearman" data-value={uq.spearman ?? ''} data-reason={uq.spearmanReason ?? ''}>
              {uq.spearman === null ? <span className="metric-reason">Spearman ρ undefined: {uq.spearmanReason}</span> : formatMetric(uq.spearman)}
            </dd>
            <dt>trajectories</dt>
            <dd>
              {uq.n}
              {left && <span className="muted"> ({left})</span>}
            </dd>
          </dl>
          {uq.roc ? (
            <>
              <RocChart points={uq.roc} />
              <ImageExportButtons testIdPrefix="export-roc" label="the ROC curve" onExport={exportRocImage} />
            </>
          ) : (
            <p className="metric-reason">No ROC curve: it needs both successes and failures.</p>
          )}
        </>
      )}
    </section>
  );
}

function RocChart({ points }: { points: NonNullable<UncertaintyResult['roc']> }) {
  const model = buildRocModel(points, ROC_SIZE);
  const { plot } = model;
  return (
    <svg
      className="roc-chart"
      data-testid="roc-curve"
      data-points={points.length}
      width={model.width}
      height={model.height}
      role="img"
      aria-label={`ROC curve through ${points.length} points`}
    >
      {model.ticks.map((t) => (
        <g key={t.value} aria-hidden="true">
          <line className="chart-grid-line" x1={plot.left} x2={plot.right} y1={t.y} y2={t.y} />
          <line className="chart-grid-line" x1={t.x} x2={t.x} y1={plot.top} y2={plot.bottom} />
          <text className="chart-tick-label" x={plot.left - 6} y={t.y} dy="0.32em" textAnchor="end">
            {t.value}
          </text>
          <text className="chart-tick-label" x={t.x} y={plot.bottom + 15} textAnchor="middle">
            {t.value}
          </text>
        </g>
      ))}
      <line className="chart-axis-line" x1={plot.left} x2={plot.left} y1={plot.top} y2={plot.bottom} />
      <line className="chart-axis-line" x1={plot.left} x2={plot.right} y1={plot.bottom} y2={plot.bottom} />
      <line className="roc-diagonal" data-testid="roc-diagonal" {...model.diagonal} />
      <path className="roc-line" d={model.path} />
      {model.points.map((p, i) => (
        <circle key={i} className="roc-point" cx={p.x} cy={p.y} r={2.5}>
          <title>
            {p.point.threshold === null ? 'above every score' : `score ≥ ${formatMetric(p.point.threshold)}`}: false-positive rate {formatMetric(p.point.fpr)}, true-positive rate{' '}
            {formatMetric(p.point.tpr)}
          </title>
        </circle>
      ))}
      <text className="chart-axis-label" x={(plot.left + plot.right) / 2} y={model.height - 4} textAnchor="middle">
        false-positive rate
      </text>
      <text className="chart-axis-label" transform={`translate(12, ${(plot.top + plot.bottom) / 2}) rotate(-90)`} textAnchor="middle">
        true-positive rate
      </text>
    </svg>
  );
}

function FailureAttributionCard({ report, predictor }: { report: EvaluationReport; predictor: FailurePredictor }) {
  const fa = report.failureAttribution;
  const agents = report.agentAttribution;
  const left = exclusionText(report.excluded.failureAttribution);
  return (
    <section className="dataset-card dataset-card-wide" aria-labelledby="fa-title">
      <h3 id="fa-title">Failure attribution: the decisive step</h3>
      {fa === null ? (
        <p className="metric-reason">Undefined: no scored trajectory has a labelled mistake step and an action step.</p>
      ) : (
        <>
          <table className="metric-table" data-testid="fa-table">
            <thead>
              <tr>
                <th scope="col">predictor</th>
                <th scope="col">accuracy</th>
                <th scope="col" title="within one action step">±1 step</th>
                <th scope="col" title="within two action steps">±2 steps</th>
                <th scope="col" title="mean absolute error in messages">MAE</th>
                <th scope="col">n</th>
                {agents && <th scope="col">agent accuracy</th>}
              </tr>
            </thead>
            <tbody>
              {FAILURE_PREDICTORS.map((p) => (
                <tr key={p} data-predictor={p} className={p === predictor ? 'metric-row-current' : undefined}>
                  <th scope="row">{p}</th>
                  <td data-value={fa[p].accuracy}>{formatMetric(fa[p].accuracy)}</td>
                  <td data-value={fa[p].within1}>{formatMetric(fa[p].within1)}</td>
                  <td data-value={fa[p].within2}>{formatMetric(fa[p].within2)}</td>
                  <td data-value={fa[p].mae}>{formatMetric(fa[p].mae)}</td>
                  <td>{fa[p].n}</td>
                  {agents && (
                    <td data-value={agents[p].accuracy}>
                      {formatMetric(agents[p].accuracy)} <span className="muted">(n {agents[p].n})</span>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <p className="card-note">
            Accuracy: the predicted message is the labelled one; ±k: within k action steps; MAE: mean distance in messages; k-advantage window{' '}
            {report.options.k}. The highlighted row is the
            predictor the other views mark.{left && ` ${left}.`}
          </p>
        </>
      )}
    </section>
  );
}

function BestOfNCard({ best, excluded }: { best: BestOfNResult | null; excluded: readonly ExcludedTrajectory[] }) {
  const left = exclusionText(excluded);
  return (
    <section className="dataset-card" aria-labelledby="bon-title">
      <h3 id="bon-title">Best-of-N: keep the highest score of each task</h3>
      {best === null ? (
        <p className="metric-reason">Undefined: no scored trajectory has a reward.</p>
      ) : (
        <>
          <table className="metric-table" data-testid="bestofn-table">
            <tbody>
              <tr>
                <th scope="row">success rate of the chosen</th>
                <td data-value={best.successRate}>{formatMetric(best.successRate)}</td>
              </tr>
              <tr>
                <th scope="row">mean reward of the chosen</th>
                <td data-value={best.meanReward}>{formatMetric(best.meanReward)}</td>
              </tr>
              <tr>
                <th scope="row">Pass@N (oracle: any success)</th>
                <td data-value={best.passAtN}>{formatMetric(best.passAtN)}</td>
              </tr>
              <tr>
                <th scope="row">Mean@N (random choice)</th>
                <td data-value={best.meanAtN}>{formatMetric(best.meanAtN)}</td>
              </tr>
              <tr>
                <th scope="row">groups (tasks)</th>
                <td data-value={best.groups}>{best.groups}</td>
              </tr>
              <tr>
                <th scope="row">trajectories</th>
                <td data-value={best.n}>{best.n}</td>
              </tr>
            </tbody>
          </table>
          {left && <p className="card-note">{left}.</p>}
          <details className="bestofn-chosen">
            <summary>The chosen trajectory of each task</summary>
            <ul>
              {best.chosen.map((c) => (
                <li key={`${c.taskId ?? ''}:${c.id}`}>
                  {c.taskId ?? '(no task id)'}: {c.id} · score {formatMetric(c.score)} · reward {c.reward} · of {c.candidates}
                </li>
              ))}
            </ul>
          </details>
        </>
      )}
    </section>
  );
}
