/**
 * `progress-advantage eval [options] FILE`: scores and metrics from a score file (JSON Lines of
 * per-token log-probs, docs/eval.md). Exit status: 0 done, 1 nothing usable (missing, empty or
 * wholly invalid file), 2 usage error.
 * The outputs (tables and JSON) are in eval-output.ts. `--preset` applies one of the paper's tuned
 * aggregations (core/advantage/presets.ts); `--sweep-merge` scores trajectories with the merged
 * reference per α and evaluates each (eval-merge-sweep.ts).
 */

import { parseArgs } from 'node:util';
import { z } from 'zod';
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
  AGGREGATION_PRESETS,
  describeAggregationPreset,
  findAggregationPreset,
  withAggregationPreset,
  type AggregationPreset,
  type FailurePredictor,
  type FlatAnalysisSettings,
} from '../../core/settings';
import {
  evaluateRecords,
  sweepAggregations,
  SWEEP_METRICS,
  type EvaluationOptions,
  type SkippedTrajectory,
  type SweepMetric,
} from '../../core/scores';
import { formatJson, reportJson, reportText, skippedLines, sweepJson, sweepText } from './eval-output';
import { readScoreFile } from '../input';
import { printErr, printOut } from '../terminal';
import { UsageError, parseCommandLine } from '../usage';
import { parseAlphas, runMergeSweep, type MergeSweepCommand } from './eval-merge-sweep';
import { run as runScore } from './score';
import { parseMergeOptions } from './score-merge';

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
       progress-advantage eval --sweep-merge --policy MODEL --reference MODEL [options] TRAJECTORIES…

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
  --preset NAME    the paper's tuned aggregation for a task and model family, from the
                   reference code's scripts (--list-presets lists them; docs/eval.md §6); the
                   options above given as well override it
  --list-presets   print the presets and exit
  --json           print one JSON object instead of tables
  --sweep          the token × step aggregation table (5 × 6) of one metric
  --metric X       with --sweep: auroc | spearman | bestofn | bestofn-reward | fa-accuracy |
                   fa-within1 | fa-within2 | fa-mae | agent-accuracy      (default auroc)
  --predictor P    with --sweep or --sweep-merge, for fa-* and agent-accuracy:
${optionText(OPTION_INDENT, '', FAILURE_PREDICTORS, '', DEFAULT_ANALYSIS_SETTINGS.predictor)}
  --sweep-merge    score the TRAJECTORIES with the merged reference π_ref + α·(π_θ − π_ref) for
                   each α and report the metrics per α (the paper's Figure 5; docs/eval.md §5);
                   needs --policy and --reference (ONNX models, as score takes them); takes
                   --dtype, --render, --context-policy, --context-tokens, --chunk,
                   --merge-method, --merge-density as score does
  --alphas LIST    with --sweep-merge: comma-separated α from 0 to 1  (default 0.1,0.2,…,0.9)
  -h, --help       this text

exit status: 0 done, 1 nothing usable (missing, empty or wholly invalid file), 2 usage error.`;

interface EvalCommand {
  file: string;
  options: EvaluationOptions;
  json: boolean;
  sweep: { metric: SweepMetric; predictor: FailurePredictor } | null;
  preset: AggregationPreset | null;
  mergeSweep: MergeSweepCommand | null;
}

function choice<T extends string>(option: string, value: string | undefined, fallback: T, allowed: readonly T[]): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${option}: unknown value '${value}' (expected ${allowed.join(' | ')})`);
  return value as T;
}

/** A setting given as `--option VALUE`, checked against its declaration (choices or bounds); absent, its default. */
function setting<K extends 'method' | 'tokenAggregation' | 'stepAggregation' | 'mode' | 'beta' | 'k' | 'unscored' | 'grouping'>(
  option: string,
  key: K,
  value: string | undefined,
  defaults: typeof DEFAULTS = DEFAULTS,
): FlatAnalysisSettings[K] {
  const fallback = defaults[key] as FlatAnalysisSettings[K];
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

/** score's options that --sweep-merge passes on. */
const SCORE_OPTIONS = ['dtype', 'render', 'context-policy', 'context-tokens', 'chunk', 'merge-method', 'merge-density'] as const;

function parseCommand(argv: string[]): EvalCommand | 'help' | 'list-presets' {
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
        preset: { type: 'string' },
        'list-presets': { type: 'boolean' },
        'sweep-merge': { type: 'boolean' },
        policy: { type: 'string' },
        reference: { type: 'string' },
        alphas: { type: 'string' },
        dtype: { type: 'string' },
        render: { type: 'string' },
        'context-policy': { type: 'string' },
        'context-tokens': { type: 'string' },
        chunk: { type: 'string' },
        'merge-method': { type: 'string' },
        'merge-density': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values['list-presets']) return 'list-presets';
  const preset = values.preset === undefined ? null : (findAggregationPreset(values.preset) ?? null);
  if (values.preset !== undefined && !preset) throw new UsageError(`--preset: unknown preset '${values.preset}' (known: ${AGGREGATION_PRESETS.map((p) => p.id).join(', ')})`);
  const base = preset ? withAggregationPreset(DEFAULTS, preset) : DEFAULTS;
  const options: EvaluationOptions = {
    method: setting('method', 'method', values.method, base),
    tokenAggregation: setting('token-agg', 'tokenAggregation', values['token-agg'], base),
    stepAggregation: setting('step-agg', 'stepAggregation', values['step-agg'], base),
    mode: setting('mode', 'mode', values.mode, base),
    beta: setting('beta', 'beta', values.beta, base),
    k: setting('k', 'k', values.k, base),
    unscored: setting('unscored', 'unscored', values.unscored, base),
    grouping: setting('group-by', 'grouping', values['group-by'], base),
  };
  const predictor = choice('predictor', values.predictor, DEFAULT_ANALYSIS_SETTINGS.predictor, FAILURE_PREDICTORS);
  if (values['sweep-merge']) {
    if (values.sweep) throw new UsageError('--sweep and --sweep-merge are two studies; run them one at a time');
    if (values.metric !== undefined) throw new UsageError('--sweep-merge reports every metric; leave out --metric');
    if (values.policy === undefined || values.reference === undefined) throw new UsageError('--sweep-merge needs --policy MODEL and --reference MODEL (the pair whose reference is merged)');
    if (positionals.length === 0) throw new UsageError('missing TRAJECTORIES (the files to score)');
    const scoreArguments = SCORE_OPTIONS.flatMap((name) => (values[name] === undefined ? [] : [`--${name}`, values[name] as string]));
    const mergeSweep: MergeSweepCommand = {
      files: positionals,
      policy: values.policy,
      reference: values.reference,
      scoreArguments,
      alphas: parseAlphas(values.alphas),
      options,
      predictor,
      json: values.json === true,
      preset: preset?.id ?? null,
      merge: parseMergeOptions(values['merge-method'], values['merge-density']),
    };
    return { file: positionals[0], options, json: values.json === true, sweep: null, preset, mergeSweep };
  }
  const stray = ['policy', 'reference', 'alphas', ...SCORE_OPTIONS].find((name) => values[name as keyof typeof values] !== undefined);
  if (stray) throw new UsageError(`--${stray} only applies with --sweep-merge`);
  const sweep = values.sweep
    ? {
        metric: choice('metric', values.metric, 'auroc', SWEEP_METRICS),
        predictor,
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
  return { file: positionals[0], options, json: values.json === true, sweep, preset, mergeSweep: null };
}

/** The preset the options came from, said first. */
function presetLine(preset: AggregationPreset | null): string {
  return preset ? `preset ${preset.id}: ${preset.task}, ${preset.modelFamily === 'any' ? 'every model pair' : preset.modelFamily} (${preset.source.file})\n` : '';
}

export async function run(argv: string[]): Promise<number> {
  const commandLine = parseCommandLine('eval', USAGE, () => parseCommand(argv));
  if ('exit' in commandLine) return commandLine.exit;
  if (commandLine.command === 'list-presets') {
    printOut(`${AGGREGATION_PRESETS.map(describeAggregationPreset).join('\n')}\n`);
    return 0;
  }
  const { file, options, json, sweep, preset, mergeSweep } = commandLine.command;
  if (mergeSweep) return runMergeSweep(mergeSweep, runScore);

  // Read line by line as a stream (a score file of any size); binary, non-UTF-8 or unreadable
  // files are refused in the words `inspect` and `score` use (src/cli/input.ts).
  const read = await readScoreFile(file);
  if ('error' in read) {
    printErr(`eval: error: ${read.error.message}\n`);
    return 1;
  }
  const parsed = read.parse;

  let usable: number;
  let skipped: SkippedTrajectory[];
  let output: string;
  if (sweep) {
    const result = sweepAggregations(parsed.records, options, sweep.metric, sweep.predictor, parsed.errors);
    usable = result.n;
    skipped = result.skipped;
    output = json ? formatJson({ ...(preset ? { preset: preset.id } : {}), ...sweepJson(result, options) }) + '\n' : presetLine(preset) + sweepText(file, result, options);
  } else {
    const report = evaluateRecords(parsed.records, options, parsed.errors);
    usable = report.trajectories.length;
    skipped = report.skipped;
    output = json ? formatJson({ ...(preset ? { preset: preset.id } : {}), ...reportJson(report) }) + '\n' : presetLine(preset) + reportText(file, report);
  }

  if (usable === 0) {
    const error =
      parsed.lineCount === 0
        ? `${file} holds no trajectories (empty file)`
        : `no usable trajectory in ${file}: all ${skipped.length} skipped`;
    printErr(skippedLines(file, skipped) + `eval: ${error}\n`);
    if (json) printOut(formatJson({ error, n: 0, skipped }) + '\n');
    return 1;
  }
  if (skipped.length > 0) {
    printErr(
      json
        ? `eval: ${skipped.length} trajector${skipped.length === 1 ? 'y' : 'ies'} skipped (listed under "skipped")\n`
        : skippedLines(file, skipped) + `eval: ${skipped.length} trajector${skipped.length === 1 ? 'y' : 'ies'} skipped\n`,
    );
  }
  printOut(output);
  return 0;
}
