/**
 * `progress-advantage eval [options] FILE`: scores and metrics from a score file (JSON Lines of
 * per-token log-probs, docs/eval.md). Exit status: 0 done, 1 nothing usable (missing, empty or
 * wholly invalid file), 2 usage error.
 *
 * Longer than 400 lines: the usage text, argument checks and the table and JSON outputs of one
 * command belong together; the evaluation itself is core's (src/core/scores/evaluate.ts).
 */

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { effectiveStepAggregation } from '../../core/advantage';
import {
  ADVANTAGE_MODES,
  DEFAULT_ANALYSIS_SETTINGS,
  FAILURE_PREDICTORS,
  SCORING_METHODS,
  SETTING_BOUNDS,
  STEP_AGGREGATIONS,
  TASK_GROUPINGS,
  TOKEN_AGGREGATIONS,
  UNSCORED_POLICIES,
  settingSchema,
  type FailurePredictor,
  type FlatAnalysisSettings,
} from '../../core/settings';
import {
  evaluateRecords,
  parseScoreJsonl,
  sweepAggregations,
  sweepMetricUsesStepAggregation,
  SWEEP_METRICS,
  type EvaluationOptions,
  type EvaluationReport,
  type ExcludedTrajectory,
  type SkippedTrajectory,
  type SweepMetric,
  type SweepResult,
} from '../../core/scores';
import { maxOf } from '../../core/arrays';

/** The settings' defaults, choices and bounds (src/core/settings): the usage text and the checks below read them. */
const DEFAULTS = DEFAULT_ANALYSIS_SETTINGS.evaluation;
const OPTION_INDENT = ' '.repeat(19);
const USAGE_WIDTH = 88;
const DEFAULT_COLUMN = 73;

/** An option's text, its choices wrapped after `|` within the usage's width, and `(default …)` in its column. */
function optionText(head: string, before: string, choices: readonly string[], after: string, fallback: string | number): string {
  const lines: string[] = [];
  let line = `${head}${before}`;
  choices.forEach((choice, i) => {
    const item = i < choices.length - 1 ? `${choice} |` : choice;
    const next = line.endsWith(' ') || line.endsWith('\n') ? `${line}${item}` : `${line} ${item}`;
    if (next.length > USAGE_WIDTH && line.trim() !== head.trim()) {
      lines.push(line);
      line = `${OPTION_INDENT}${item}`;
    } else line = next;
  });
  line += after;
  return [...lines, `${line.length < DEFAULT_COLUMN ? line.padEnd(DEFAULT_COLUMN) : `${line} `}(default ${fallback})`].join('\n');
}

const USAGE = `usage: progress-advantage eval [options] FILE

Scores the trajectories of a score file (JSON Lines, one trajectory per line with the per-token
log-probs of its action steps; see docs/eval.md) and reports best-of-N, uncertainty (AUROC,
Spearman ρ) and failure-attribution metrics for the labels the file carries.

options:
${optionText('  --method M       ', '', SCORING_METHODS, '', DEFAULTS.method)}
${optionText('  --token-agg A    ', 'token → step: ', TOKEN_AGGREGATIONS, '', DEFAULTS.tokenAggregation)}
${optionText('  --step-agg A     ', 'step → trajectory: ', STEP_AGGREGATIONS, '', DEFAULTS.stepAggregation)}
                   (deepconf-tail always uses last, deepconf-b10 bottom10)
${optionText('  --mode M         ', '', ADVANTAGE_MODES, ' (progress only)', DEFAULTS.mode)}
${optionText('  --beta B         ', `KL coefficient β > ${SETTING_BOUNDS.beta.above} scaling the progress advantage`, [], '', DEFAULTS.beta)}
  --k K            failure attribution reads the k-advantage: at each step the sum of the
                   step scores of the K steps ending there (K = 1: the step scores) (default ${DEFAULTS.k})
${optionText('  --unscored U     ', 'a step with no log-probs: ', UNSCORED_POLICIES, '', DEFAULTS.unscored)}
                   (skip: left out of every aggregate and counted; zero: scores 0, as the
                   reference code does, for parity with the paper)
${optionText('  --group-by G     ', 'best-of-N groups: ', TASK_GROUPINGS, '', DEFAULTS.grouping)}
                   (file-task: a task within the file named by each record's \`file\` key;
                   task: one task id across files)
  --json           print one JSON object instead of tables
  --sweep          the token × step aggregation table (5 × 6) of one metric
  --metric X       with --sweep: auroc | spearman | bestofn | bestofn-reward | fa-accuracy |
                   fa-within1 | fa-within2 | fa-mae | agent-accuracy      (default auroc)
  --predictor P    with --sweep, for fa-* and agent-accuracy:
${optionText(OPTION_INDENT, '', FAILURE_PREDICTORS, '', DEFAULT_ANALYSIS_SETTINGS.predictor)}
  -h, --help       this text

exit status: 0 done, 1 nothing usable (missing, empty or wholly invalid file), 2 usage error.`;

class UsageError extends Error {}

interface EvalCommand {
  file: string;
  options: EvaluationOptions;
  json: boolean;
  sweep: { metric: SweepMetric; predictor: FailurePredictor } | null;
}

function choice<T extends string>(option: string, value: string | undefined, fallback: T, allowed: readonly T[]): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${option}: unknown value '${value}' (expected ${allowed.join(' | ')})`);
  return value as T;
}

/** A setting given as `--option VALUE`, checked against its declaration (choices or bounds); absent, its default. */
function setting<K extends 'method' | 'tokenAggregation' | 'stepAggregation' | 'mode' | 'beta' | 'k' | 'unscored' | 'grouping'>(option: string, key: K, value: string | undefined): FlatAnalysisSettings[K] {
  const fallback = DEFAULTS[key] as FlatAnalysisSettings[K];
  const schema = settingSchema(key).unwrap() as z.ZodType;
  if (schema instanceof z.ZodEnum) return choice(option, value, fallback as string, schema.options as string[]) as FlatAnalysisSettings[K];
  if (value === undefined) return fallback;
  const bounds = SETTING_BOUNDS[key as 'beta' | 'k'] as { above?: number; atLeast?: number; atMost: number };
  const integer = schema instanceof z.ZodNumber && schema.isInt;
  const low = integer ? `an integer ≥ ${bounds.atLeast}` : `a finite number > ${bounds.above}`;
  const number = integer ? (/^\d+$/.test(value) ? Number(value) : NaN) : value.trim() === '' ? NaN : Number(value);
  const parsed = schema.safeParse(number);
  if (parsed.success) return parsed.data as FlatAnalysisSettings[K];
  const tooBig = Number.isFinite(number) && parsed.error.issues.some((issue) => issue.code === 'too_big');
  throw new UsageError(`--${option}: expected ${tooBig ? `${integer ? 'an integer' : 'a number'} ≤ ${bounds.atMost}` : low}, got '${value}'`);
}

function parseCommand(argv: string[]): EvalCommand | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        method: { type: 'string' },
        'token-agg': { type: 'string' },
        'step-agg': { type: 'string' },
        mode: { type: 'string' },
        beta: { type: 'string' },
        k: { type: 'string' },
        unscored: { type: 'string' },
        'group-by': { type: 'string' },
        predictor: { type: 'string' },
        metric: { type: 'string' },
        json: { type: 'boolean' },
        sweep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const options: EvaluationOptions = {
    method: setting('method', 'method', values.method),
    tokenAggregation: setting('token-agg', 'tokenAggregation', values['token-agg']),
    stepAggregation: setting('step-agg', 'stepAggregation', values['step-agg']),
    mode: setting('mode', 'mode', values.mode),
    beta: setting('beta', 'beta', values.beta),
    k: setting('k', 'k', values.k),
    unscored: setting('unscored', 'unscored', values.unscored),
    grouping: setting('group-by', 'grouping', values['group-by']),
  };
  const sweep = values.sweep
    ? {
        metric: choice('metric', values.metric, 'auroc', SWEEP_METRICS),
        predictor: choice('predictor', values.predictor, DEFAULT_ANALYSIS_SETTINGS.predictor, FAILURE_PREDICTORS),
      }
    : null;
  if (!sweep && (values.metric !== undefined || values.predictor !== undefined)) {
    throw new UsageError('--metric and --predictor only apply with --sweep');
  }
  if (sweep && (values['token-agg'] !== undefined || values['step-agg'] !== undefined)) {
    throw new UsageError('--sweep runs every --token-agg and --step-agg; leave them out');
  }
  if (positionals.length === 0) throw new UsageError('missing FILE');
  if (positionals.length > 1) throw new UsageError(`one FILE expected, got ${positionals.length}: ${positionals.join(' ')}`);
  return { file: positionals[0], options, json: values.json === true, sweep };
}

// ---------------------------------------------------------------------------------------------
// Output

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

function methodLabel(options: EvaluationOptions): string {
  if (options.method === 'progress') return `progress advantage (${options.mode} mode, β = ${options.beta})`;
  return options.method;
}

function fixed(value: number | null): string {
  return value === null ? '—' : value.toFixed(4);
}

function table(rows: string[][], rightAligned: (column: number) => boolean): string {
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

function skippedLines(file: string, skipped: readonly SkippedTrajectory[]): string {
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

function reportText(file: string, report: EvaluationReport): string {
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

function sweepJson(sweep: SweepResult, options: EvaluationOptions) {
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

function sweepText(file: string, sweep: SweepResult, options: EvaluationOptions): string {
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

export async function run(argv: string[]): Promise<number> {
  let command: EvalCommand | 'help';
  try {
    command = parseCommand(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`eval: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { file, options, json, sweep } = command;

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    process.stderr.write(`eval: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const parsed = parseScoreJsonl(text, file);

  let usable: number;
  let skipped: SkippedTrajectory[];
  let output: string;
  if (sweep) {
    const result = sweepAggregations(parsed.records, options, sweep.metric, sweep.predictor, parsed.errors);
    usable = result.n;
    skipped = result.skipped;
    output = json ? formatJson(sweepJson(result, options)) + '\n' : sweepText(file, result, options);
  } else {
    const report = evaluateRecords(parsed.records, options, parsed.errors);
    usable = report.trajectories.length;
    skipped = report.skipped;
    output = json ? formatJson(reportJson(report)) + '\n' : reportText(file, report);
  }

  if (usable === 0) {
    const error =
      parsed.lineCount === 0
        ? `${file} holds no trajectories (empty file)`
        : `no usable trajectory in ${file}: all ${skipped.length} skipped`;
    process.stderr.write(skippedLines(file, skipped) + `eval: ${error}\n`);
    if (json) process.stdout.write(formatJson({ error, n: 0, skipped }) + '\n');
    return 1;
  }
  if (skipped.length > 0) {
    process.stderr.write(
      json
        ? `eval: ${skipped.length} trajector${skipped.length === 1 ? 'y' : 'ies'} skipped (listed under "skipped")\n`
        : skippedLines(file, skipped) + `eval: ${skipped.length} trajector${skipped.length === 1 ? 'y' : 'ies'} skipped\n`,
    );
  }
  process.stdout.write(output);
  return 0;
}
