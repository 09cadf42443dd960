/**
 * `eval`'s outputs: the human-readable report and sweep tables and their JSON forms (docs/eval.md
 * pins both, byte for byte).
 */
import { effectiveStepAggregation } from '../../core/advantage';
import { maxOf } from '../../core/arrays';
import { FAILURE_PREDICTORS } from '../../core/settings';
import {
  sweepMetricUsesStepAggregation,
  type EvaluationOptions,
  type EvaluationReport,
  type ExcludedTrajectory,
  type SkippedTrajectory,
  type SweepResult,
} from '../../core/scores';

const JSON_LINE_WIDTH = 100;

/**
 * JSON text that keeps an object or array on one line when it fits in `JSON_LINE_WIDTH` columns (an
 * array of numbers or strings always) and indents it by two spaces otherwise: what `JSON.stringify` writes, re-spaced (it parses back equal).
 */
export function formatJson(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value);
  const fits = indent.length + flat.length <= JSON_LINE_WIDTH;
  const primitiveArray = Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object');
  if (value === null || typeof value !== 'object' || fits || primitiveArray) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + formatJson(item ?? null, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
}

export function methodLabel(options: EvaluationOptions): string {
  if (options.method === 'progress') return `progress advantage (${options.mode} mode, β = ${options.beta})`;
  return options.method;
}

export function fixed(value: number | null): string {
  return value === null ? '—' : value.toFixed(4);
}

export function table(rows: string[][], rightAligned: (column: number) => boolean): string {
  const widths = rows[0].map((_, c) => maxOf(rows.map((row) => row[c].length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => (rightAligned(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function skippedLines(file: string, skipped: readonly SkippedTrajectory[]): string {
  return skipped
    .map((s) => `${file}:${s.line}${s.id === null ? '' : ` (id ${JSON.stringify(s.id)})`}: skipped: ${s.reason}\n`)
    .join('');
}

function exclusionSummary(excluded: readonly ExcludedTrajectory[]): string {
  if (excluded.length === 0) return '';
  const byReason = new Map<string, number>();
  for (const e of excluded) byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
  return ` (left out: ${[...byReason].map(([reason, count]) => `${count} ${reason}`).join(', ')})`;
}

function optionsJson(options: EvaluationOptions) {
  return {
    method: options.method,
    tokenAgg: options.tokenAggregation,
    stepAgg: effectiveStepAggregation(options),
    mode: options.mode,
    beta: options.beta,
    k: options.k,
    unscored: options.unscored,
    groupBy: options.grouping,
  };
}

/** The `--json` object (docs/eval.md documents every key). */
export function reportJson(report: EvaluationReport) {
  return {
    options: optionsJson(report.options),
    n: report.trajectories.length,
    perTrajectory: report.trajectories.map((t) => ({
      id: t.id,
      line: t.line,
      score: t.score,
      stepScores: t.stepScores,
      unscoredSteps: t.unscoredSteps,
      predicted: t.predicted,
    })),
    unscored: report.unscored,
    bestOfN: report.bestOfN,
    uq: report.uncertainty,
    failureAttribution: report.failureAttribution,
    agentAccuracy: report.agentAttribution,
    excluded: report.excluded,
    skipped: report.skipped,
  };
}

export function reportText(file: string, report: EvaluationReport): string {
  const { options } = report;
  const out: string[] = [];
  out.push(
    `${methodLabel(options)}; token → step: ${options.tokenAggregation}; step → trajectory: ${effectiveStepAggregation(options)}; k = ${options.k}; unscored steps: ${options.unscored}; groups: ${options.grouping}`,
  );
  out.push(`${file}: ${report.trajectories.length} trajectories scored, ${report.skipped.length} skipped`);
  const u = report.unscored;
  if (u.steps > 0) {
    out.push(
      `unscored steps: ${u.steps} (${u.partial} trajector${u.partial === 1 ? 'y' : 'ies'} partly scored, ${u.trajectories} with no scored step)${
        options.unscored === 'zero' ? '; counted as 0 (--unscored zero)' : '; left out of every aggregate'
      }`,
    );
  }
  out.push('');

  const rows = [['id', 'task', 'reward', 'score', 'steps', ...FAILURE_PREDICTORS]];
  for (const t of report.trajectories) {
    rows.push([
      t.id,
      t.record.taskId ?? '—',
      t.record.reward == null ? '—' : String(t.record.reward),
      fixed(t.score),
      t.unscoredSteps === 0 ? String(t.stepScores.length) : `${t.stepScores.length} (${t.unscoredSteps} unscored)`,
      ...FAILURE_PREDICTORS.map((p) => (t.predicted[p] === null ? '—' : String(t.predicted[p]))),
    ]);
  }
  out.push(table(rows, (c) => c >= 2), '');
  out.push('(the last three columns: predicted decisive message index of each failure predictor)', '');

  const best = report.bestOfN;
  if (best === null) out.push('best-of-N: — (no trajectory has a reward)');
  else {
    out.push(`best-of-N: ${best.groups} groups, ${best.n} trajectories${exclusionSummary(report.excluded.bestOfN)}`);
    out.push(
      table(
        [
          ['  success rate of the chosen', fixed(best.successRate)],
          ['  mean reward of the chosen', fixed(best.meanReward)],
          ['  Pass@N (any success)', fixed(best.passAtN)],
          ['  Mean@N (group success rate)', fixed(best.meanAtN)],
        ],
        (c) => c === 1,
      ),
    );
  }
  out.push('');

  const uq = report.uncertainty;
  if (uq === null) out.push('uncertainty: — (no trajectory has both a reward and a score)');
  else {
    out.push(`uncertainty: ${uq.n} trajectories${exclusionSummary(report.excluded.uncertainty)}`);
    out.push(`  AUROC       ${uq.auroc === null ? `— (${uq.aurocReason})` : fixed(uq.auroc)}`);
    out.push(`  Spearman ρ  ${uq.spearman === null ? `— (${uq.spearmanReason})` : fixed(uq.spearman)}`);
  }
  out.push('');

  const fa = report.failureAttribution;
  if (fa === null) out.push('failure attribution: — (no trajectory has a mistakeStep and an action step)');
  else {
    const n = fa.min_cumulative.n;
    out.push(`failure attribution: ${n} trajectories, k = ${options.k}${exclusionSummary(report.excluded.failureAttribution)}`);
    const faRows = [['  predictor', 'accuracy', 'within ±1', 'within ±2', 'MAE']];
    for (const p of FAILURE_PREDICTORS) {
      faRows.push([`  ${p}`, fixed(fa[p].accuracy), fixed(fa[p].within1), fixed(fa[p].within2), fixed(fa[p].mae)]);
    }
    out.push(table(faRows, (c) => c > 0));
    const agents = report.agentAttribution;
    if (agents !== null) {
      out.push('', `agent accuracy: ${agents.min_cumulative.n} trajectories`);
      out.push(table(FAILURE_PREDICTORS.map((p) => [`  ${p}`, fixed(agents[p].accuracy)]), (c) => c > 0));
    }
  }
  return out.join('\n') + '\n';
}

export function sweepJson(sweep: SweepResult, options: EvaluationOptions) {
  return {
    metric: sweep.metric,
    predictor: sweep.predictor,
    options: { method: options.method, mode: options.mode, beta: options.beta, k: options.k, unscored: options.unscored, groupBy: options.grouping },
    tokenAggregations: sweep.tokenAggregations,
    stepAggregations: sweep.stepAggregations,
    values: sweep.values,
    n: sweep.n,
    skipped: sweep.skipped,
  };
}

export function sweepText(file: string, sweep: SweepResult, options: EvaluationOptions): string {
  const predictorNote = sweep.metric.startsWith('fa-') || sweep.metric === 'agent-accuracy' ? ` (${sweep.predictor})` : '';
  const out = [
    `${sweep.metric}${predictorNote} of ${methodLabel(options)}, k = ${options.k}, unscored steps: ${options.unscored}; rows: token → step, columns: step → trajectory`,
    `${file}: ${sweep.n} trajectories scored, ${sweep.skipped.length} skipped`,
    '',
  ];
  const rows = [['token \\ step', ...sweep.stepAggregations]];
  sweep.tokenAggregations.forEach((tokenAgg, i) => rows.push([tokenAgg, ...sweep.values[i].map(fixed)]));
  out.push(table(rows, (c) => c > 0));
  if (!sweepMetricUsesStepAggregation(sweep.metric)) {
    out.push('', 'failure attribution reads the step scores only: the step aggregation does not enter, so each row repeats.');
  } else if (options.method === 'deepconf-tail' || options.method === 'deepconf-b10') {
    out.push('', `${options.method} fixes the step aggregation to ${effectiveStepAggregation(options)}, so each row repeats.`);
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
