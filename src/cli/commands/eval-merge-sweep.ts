/**
 * `eval --sweep-merge --policy MODEL --reference MODEL FILE…`: the paper's reference-policy study
 * (Figure 5). For each α (0.1 … 0.9 unless --alphas says otherwise) the trajectories are scored
 * with the merged reference π_ref + α·(π_θ − π_ref) (`score --reference-merge α`, score-merge.ts)
 * and evaluated with eval's options; one row per α of every metric eval reports that the files'
 * labels allow (uncertainty, best-of-N, failure attribution, agent accuracy). The score files are
 * written to a temporary folder, removed at the end. The policy does not depend on α: its figures
 * are computed at the first α and reused at the others (PolicyFigureCache), so only the merged
 * reference is forwarded per α.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SWEEP_METRICS, evaluateRecords, sweepMetricValue, type EvaluationOptions, type SweepMetric } from '../../core/scores';
import type { FailurePredictor } from '../../core/settings';
import type { MergeOptions } from '../../core/onnx';
import { readScoreFile } from '../input';
import { printErr, printOut } from '../terminal';
import { UsageError } from '../usage';
import { fixed, formatJson, methodLabel, table } from './eval-output';
import { PolicyFigureCache } from './score-policy-cache';

/** Figure 5's α. */
export const DEFAULT_MERGE_ALPHAS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

export interface MergeSweepCommand {
  /** Trajectory files (any format `score` reads). */
  files: string[];
  policy: string;
  reference: string;
  /** score's options passed on as given (--dtype, --render, --context-policy, --context-tokens, --chunk). */
  scoreArguments: string[];
  alphas: readonly number[];
  options: EvaluationOptions;
  predictor: FailurePredictor;
  json: boolean;
  /** The aggregation preset the options came from, if any (said in the output). */
  preset: string | null;
  /** How the reference is merged (--merge-method, --merge-density; passed on to score too). */
  merge: MergeOptions;
}

/** `--alphas 0.1,0.5,0.9`: distinct numbers from 0 to 1, in the order given. */
export function parseAlphas(value: string | undefined): readonly number[] {
  if (value === undefined) return DEFAULT_MERGE_ALPHAS;
  const alphas = value.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
  const bad = value.split(',').find((_, index) => !Number.isFinite(alphas[index]) || alphas[index] < 0 || alphas[index] > 1);
  if (bad !== undefined) throw new UsageError(`--alphas: expected comma-separated numbers from 0 to 1, got '${bad.trim()}' in '${value}'`);
  if (new Set(alphas).size !== alphas.length) throw new UsageError(`--alphas: a value is repeated in '${value}'`);
  return alphas;
}

export interface MergeSweepRow {
  alpha: number;
  /** Trajectories scored and evaluated at this α. */
  n: number;
  /** Trajectories `score` could not score at this α (listed on standard error). */
  failed: boolean;
  skipped: number;
  values: Record<SweepMetric, number | null>;
}

/** Runs the sweep with `score` (injected: the score command's run, given the sweep's policy figure cache). Exit status as eval's. */
export async function runMergeSweep(command: MergeSweepCommand, score: (argv: string[], policyFigures: PolicyFigureCache) => Promise<number>): Promise<number> {
  const folder = await mkdtemp(join(tmpdir(), 'progress-advantage-sweep-'));
  const policyFigures = new PolicyFigureCache();
  const rows: MergeSweepRow[] = [];
  try {
    for (const alpha of command.alphas) {
      printErr(`eval: α = ${alpha}: scoring with the merged reference…\n`);
      const out = join(folder, `alpha-${alpha}.jsonl`);
      const status = await score(['--policy', command.policy, '--reference', command.reference, ...command.scoreArguments, '--reference-merge', String(alpha), '--quiet', '--out', out, ...command.files], policyFigures);
      if (status === 2) return 2;
      const read = await readScoreFile(out);
      if ('error' in read) {
        printErr(`eval: error: nothing was scored at α = ${alpha} (see score's messages above)\n`);
        return 1;
      }
      const report = evaluateRecords(read.parse.records, command.options, read.parse.errors);
      const values = Object.fromEntries(SWEEP_METRICS.map((metric) => [metric, sweepMetricValue(report, metric, command.predictor)])) as Record<SweepMetric, number | null>;
      rows.push({ alpha, n: report.trajectories.length, failed: status !== 0, skipped: report.skipped.length, values });
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  if (rows.every((row) => row.n === 0)) {
    printErr('eval: error: no trajectory was scored at any α\n');
    return 1;
  }
  printOut(command.json ? `${formatJson(mergeSweepJson(command, rows))}\n` : mergeSweepText(command, rows));
  return 0;
}

export function mergeSweepJson(command: MergeSweepCommand, rows: readonly MergeSweepRow[]) {
  const { options } = command;
  return {
    merge: {
      method: command.merge.method,
      ...(command.merge.method === 'ties' ? { density: command.merge.density, formula: 'π_ref + α·TIES(π_θ − π_ref)' } : { formula: 'π_ref + α·(π_θ − π_ref)' }),
      policy: command.policy,
      reference: command.reference,
    },
    options: { method: options.method, tokenAgg: options.tokenAggregation, stepAgg: options.stepAggregation, mode: options.mode, beta: options.beta, k: options.k, unscored: options.unscored, groupBy: options.grouping },
    ...(command.preset ? { preset: command.preset } : {}),
    predictor: command.predictor,
    metrics: SWEEP_METRICS,
    rows: rows.map((row) => ({ alpha: row.alpha, n: row.n, skipped: row.skipped, scoringFailed: row.failed, values: row.values })),
  };
}

export function mergeSweepText(command: MergeSweepCommand, rows: readonly MergeSweepRow[]): string {
  const { options } = command;
  // Metrics no file label supports (no reward, no mistakeStep) are left out of the table.
  const metrics = SWEEP_METRICS.filter((metric) => rows.some((row) => row.values[metric] !== null));
  const cells = [['α', 'n', ...metrics]];
  for (const row of rows) cells.push([String(row.alpha), `${row.n}${row.failed ? '*' : ''}`, ...metrics.map((metric) => fixed(row.values[metric]))]);
  const out = [
    command.merge.method === 'ties'
      ? `merged reference π_ref + α·TIES(π_θ − π_ref) (the largest ${command.merge.density} of each tensor's task vector, in weight space): policy ${command.policy}, reference ${command.reference}`
      : `merged reference π_ref + α·(π_θ − π_ref) (linear, in weight space): policy ${command.policy}, reference ${command.reference}`,
    `${methodLabel(options)}; token → step: ${options.tokenAggregation}; step → trajectory: ${options.stepAggregation}; k = ${options.k}; unscored steps: ${options.unscored}; groups: ${options.grouping}; predictor: ${command.predictor}${command.preset ? `; preset ${command.preset}` : ''}`,
    '',
    table(cells, (column) => column > 0),
  ];
  if (rows.some((row) => row.failed)) out.push('', '* some trajectories could not be scored at this α (see the messages above)');
  if (metrics.length < SWEEP_METRICS.length) out.push('', `not computable from the files' labels: ${SWEEP_METRICS.filter((metric) => !metrics.includes(metric)).join(', ')}`);
  return `${out.join('\n')}\n`;
}
