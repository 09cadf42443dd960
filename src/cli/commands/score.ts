/**
 * `progress-advantage score --policy MODEL --reference MODEL [options] FILE…`: per-token log-probs
 * of every action step of every trajectory under a policy and a reference model, written in the
 * score format (JSON Lines, docs/eval.md) that `eval` and the app read. docs/score.md documents
 * the options, the output keys and what happens at the context limit and with two tokenizers.
 *
 * Both models are loaded once (transformers.js on onnxruntime-node, CPU) and every trajectory is
 * rendered once with the policy's tokenizer, then forwarded through each model in chunks that carry
 * the KV cache; a trajectory starts from the cache of the token prefix it shares with the one before
 * it (best-of-N trajectories of a task share the system prompt), so that prefix is forwarded once. Exit status: 0 everything scored, 1 a file, trajectory or model failed (the others
 * are still scored and written), 2 usage error.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import {
  precomputedFromTrajectory,
  scorePair,
  scoreStepLevel,
  type NotScoredStep,
  type PairProgress,
  type StepLevelScore,
  type StepLevelSide,
  type TokenizerLike,
} from '../../core/engine';
import { createTransformersEngine, type TransformersEngine } from '../../core/engine/transformers-engine';
import { MODEL_PRESETS, describePreset, findPreset, pairTokenizers, transformersTokenizerIdentity, type TokenizerPairing } from '../../core/models';
import { renderTrajectory, type RenderMode } from '../../core/render';
import { serializeScoreRecord, type ScoreStep } from '../../core/scores/format';
import { fromTransformersTokenizer } from '../../core/tokenizer';
import { parseTrajectoryBytes } from '../../core/trajectory/ingest';
import type { Trajectory } from '../../core/trajectory/types';

const CLI_DTYPES = ['fp32', 'fp16', 'q8', 'q4'] as const;
type CliDtype = (typeof CLI_DTYPES)[number];
const RENDER_MODES: readonly RenderMode[] = ['plain', 'chat'];

const USAGE = `usage: progress-advantage score --policy MODEL --reference MODEL [options] FILE…
       progress-advantage score --preset ID [options] FILE…
       progress-advantage score --precomputed --reference MODEL [options] FILE…

Scores every action step of every trajectory in the FILEs (any format \`inspect\` reads) under a
policy and a reference model and writes the score format (JSON Lines, one trajectory per line,
docs/eval.md) with per token: log π_θ, log π_ref, the policy's entropy and top-20 mean, the token
id and its text. \`eval\` reads the result. See docs/score.md.

MODEL is a local model folder (config.json, tokenizer files, onnx/model*.onnx, as transformers.js
lays it out) or a Hugging Face hub id such as onnx-community/Qwen2.5-0.5B-Instruct (downloaded
into transformers.js' cache; needs the network the first time).

options:
  --policy MODEL      the tuned model (log π_θ)
  --reference MODEL   the model it was tuned from (log π_ref)
  --preset ID         a known pair instead of --policy/--reference (--list-presets shows them)
  --list-presets      print the presets and exit
  --render MODE       plain | chat                  (default plain; a preset's own, e.g. chat for demo)
                      plain: the reference code's "[role]: content" rendering, for every format;
                      chat: the policy tokenizer's chat template (prefix-stable templates only)
  --chunk N           tokens per forward pass; the KV cache carries context across chunks
                      (default 512, lowered so one chunk's logits stay under 64 MiB and,
                      at long contexts, its attention scores too)
  --dtype D           fp32 | fp16 | q8 | q4: which ONNX file of each model   (default fp32)
  --precomputed       take the policy's log-probs from the files (Inspect AI logprobs) instead of
                      a model; needs --reference; scores are step level (two tokenizations)
  --out FILE          write the scores to FILE instead of standard output
  --quiet             no progress on standard error (notices and errors are still written)
  -h, --help          this text

exit status: 0 all scored, 1 a file, trajectory or model failed (the rest is still written),
2 usage error.`;

class UsageError extends Error {}

interface ScoreCommand {
  files: string[];
  /** Null with --precomputed: the policy side comes from the files. */
  policy: string | null;
  reference: string;
  render: RenderMode;
  chunkSize: number | undefined;
  dtype: CliDtype;
  out: string | null;
  quiet: boolean;
  /** Said on stderr before loading (e.g. a dtype a preset does not list). */
  warnings: string[];
}

function parseChunk(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--chunk: expected an integer ≥ 1, got '${value}'`);
  }
  return Number(value);
}

function parseCommand(argv: string[]): ScoreCommand | 'help' | 'list-presets' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        policy: { type: 'string' },
        reference: { type: 'string' },
        preset: { type: 'string' },
        'list-presets': { type: 'boolean' },
        render: { type: 'string' },
        chunk: { type: 'string' },
        dtype: { type: 'string' },
        precomputed: { type: 'boolean' },
        out: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values['list-presets']) return 'list-presets';

  let policy = values.policy ?? null;
  let reference = values.reference ?? null;
  const dtype = values.dtype ?? 'fp32';
  if (!(CLI_DTYPES as readonly string[]).includes(dtype)) throw new UsageError(`--dtype: unknown value '${dtype}' (expected ${CLI_DTYPES.join(' | ')})`);
  const warnings: string[] = [];
  if (values.preset !== undefined) {
    const preset = findPreset(values.preset);
    if (!preset) throw new UsageError(`--preset: unknown preset '${values.preset}' (known: ${MODEL_PRESETS.map((p) => p.id).join(', ')})`);
    if (policy !== null || reference !== null) throw new UsageError('--preset names both models; leave out --policy and --reference');
    policy = preset.policy;
    reference = preset.reference;
    if (!(preset.dtypes as readonly string[]).includes(dtype)) {
      warnings.push(`--dtype ${dtype} is not among the files known to exist for preset ${preset.id} (${preset.dtypes.join(', ')}); trying anyway`);
    }
  }
  const precomputed = values.precomputed === true;
  if (precomputed) {
    if (values.preset !== undefined) throw new UsageError('--precomputed takes the policy side from the files; use --reference, not --preset');
    if (policy !== null) throw new UsageError('--precomputed takes the policy log-probs from the files; leave out --policy');
    if (reference === null) {
      throw new UsageError(
        '--precomputed needs --reference MODEL: the files carry one side only (the log-probs of the model that generated them), and a pair needs both',
      );
    }
  } else if (policy === null || reference === null) {
    throw new UsageError(`missing ${policy === null && reference === null ? '--policy and --reference' : policy === null ? '--policy' : '--reference'} (or --preset ID)`);
  }

  // A preset may say which rendering its pair was trained on (the demo pair: chat).
  const render = values.render ?? (values.preset !== undefined ? findPreset(values.preset)?.render : undefined) ?? 'plain';
  if (!RENDER_MODES.includes(render as RenderMode)) throw new UsageError(`--render: unknown value '${render}' (expected plain | chat)`);
  if (positionals.length === 0) throw new UsageError('no FILE given');
  return {
    files: positionals,
    policy,
    reference: reference!,
    render: render as RenderMode,
    chunkSize: parseChunk(values.chunk),
    dtype: dtype as CliDtype,
    out: values.out ?? null,
    quiet: values.quiet === true,
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Standard error: progress (left out with --quiet) and notices (always)

class Reporter {
  private statusShown = false;
  private readonly live: boolean;

  constructor(
    private readonly quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.live = !quiet && stream.isTTY === true;
  }

  /** Progress and summaries. */
  info(line: string): void {
    if (!this.quiet) this.write(`score: ${line}\n`);
  }

  /** What the user must see: fallbacks, steps not scored, errors. */
  notice(line: string): void {
    this.write(`score: ${line}\n`);
  }

  /** A line that the next one overwrites (terminals only). */
  status(line: string): void {
    if (!this.live) return;
    this.stream.write(`\r${line}\x1b[K`);
    this.statusShown = true;
  }

  private write(text: string): void {
    if (this.statusShown) {
      this.stream.write('\r\x1b[K');
      this.statusShown = false;
    }
    this.stream.write(text);
  }
}

// ---------------------------------------------------------------------------------------------
// Models: a local folder or a hub id

type ModelSource = { kind: 'folder'; path: string; spec: string } | { kind: 'hub'; id: string; spec: string };

const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

async function resolveModelSource(spec: string, side: 'policy' | 'reference'): Promise<ModelSource> {
  const path = resolve(spec);
  const found = await stat(path).catch(() => null);
  if (found?.isDirectory()) return { kind: 'folder', path, spec };
  if (found) throw new UsageError(`--${side}: ${spec} is a file; a model is a folder (config.json, tokenizer files, onnx/) or a hub id`);
  const looksLikePath = /^(\.|\/|~)|\\/.test(spec) || spec.endsWith('/');
  if (looksLikePath || !HUB_ID.test(spec)) throw new UsageError(`--${side}: no model folder ${spec} (and it is not a hub id like owner/name)`);
  return { kind: 'hub', id: spec, spec };
}

function sourceLabel(source: ModelSource): string {
  return source.kind === 'folder' ? `folder ${source.path}` : `hub model "${source.id}"`;
}

/** Runs a transformers.js load with `env` pointed at the folder's parent, or at the hub only. */
async function withModelEnv<T>(source: ModelSource, load: (modelId: string) => Promise<T>): Promise<T> {
  const saved = { allowLocalModels: env.allowLocalModels, allowRemoteModels: env.allowRemoteModels, localModelPath: env.localModelPath };
  if (source.kind === 'folder') {
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.localModelPath = dirname(source.path);
  } else {
    // A hub id must not silently resolve to some folder under transformers.js' default local path.
    env.allowLocalModels = false;
    env.allowRemoteModels = true;
  }
  try {
    return await load(source.kind === 'folder' ? basename(source.path) : source.id);
  } finally {
    Object.assign(env, saved);
  }
}

class ModelLoadError extends Error {}

function loadFailure(what: string, side: 'policy' | 'reference', source: ModelSource, error: unknown): ModelLoadError {
  const reason = error instanceof Error ? error.message : String(error);
  const offline = source.kind === 'hub' && /fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|network/i.test(reason);
  const hint =
    source.kind === 'hub'
      ? offline
        ? ' (the hub cannot be reached: is the network up? A hub model is downloaded once, then read from the cache)'
        : ' (no local folder by that name exists either)'
      : '';
  return new ModelLoadError(`cannot load the ${side} ${what} from the ${sourceLabel(source)}: ${reason}${hint}`);
}

interface LoadedTokenizer {
  raw: PreTrainedTokenizer;
  tokenizer: TokenizerLike;
}

async function loadTokenizerOf(source: ModelSource, side: 'policy' | 'reference'): Promise<LoadedTokenizer> {
  try {
    const raw = await withModelEnv(source, (modelId) => AutoTokenizer.from_pretrained(modelId));
    return { raw, tokenizer: fromTransformersTokenizer(raw) };
  } catch (error) {
    throw loadFailure('tokenizer', side, source, error);
  }
}

async function loadEngineOf(source: ModelSource, side: 'policy' | 'reference', dtype: CliDtype): Promise<TransformersEngine> {
  try {
    return await withModelEnv(source, (modelId) =>
      createTransformersEngine({
        modelId,
        ...(source.kind === 'folder' ? { localModelPath: dirname(source.path) } : {}),
        dtype,
        device: 'cpu',
      }),
    );
  } catch (error) {
    throw loadFailure(`model (${dtype})`, side, source, error);
  }
}

// ---------------------------------------------------------------------------------------------
// Input files

interface TrajectoryEntry {
  file: string;
  /** Position of the trajectory in its file. */
  index: number;
  trajectory: Trajectory;
}

const READ_FAILURES: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

async function readTrajectories(files: readonly string[], reporter: Reporter): Promise<{ entries: TrajectoryEntry[]; failed: boolean }> {
  const entries: TrajectoryEntry[] = [];
  let failed = false;
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      reporter.notice(`error: ${file}: cannot read the file: ${(code && READ_FAILURES[code]) ?? (error as Error).message}`);
      failed = true;
      continue;
    }
    const { trajectories, errors } = parseTrajectoryBytes(file, bytes);
    for (const error of errors) reporter.notice(`error: ${error.message}`);
    if (errors.length > 0) failed = true;
    trajectories.forEach((trajectory, index) => entries.push({ file, index, trajectory }));
    reporter.info(`${file}: ${trajectories.length} trajector${trajectories.length === 1 ? 'y' : 'ies'}${errors.length > 0 ? `, ${errors.length} error${errors.length === 1 ? '' : 's'}` : ''}`);
  }
  return { entries, failed };
}

// ---------------------------------------------------------------------------------------------
// Output

interface LineSink {
  write(line: string): Promise<void>;
  close(): Promise<void>;
}

function sinkOn(stream: Writable, closeStream: boolean): LineSink {
  let streamError: Error | null = null;
  stream.on('error', (error) => {
    streamError = error;
  });
  return {
    async write(line) {
      if (streamError) throw streamError;
      if (!stream.write(`${line}\n`)) await once(stream, 'drain');
    },
    async close() {
      if (streamError) throw streamError;
      if (closeStream) {
        stream.end();
        await once(stream, 'finish');
      }
    },
  };
}

async function openSink(out: string | null): Promise<LineSink> {
  if (out === null) return sinkOn(process.stdout, false);
  const stream = createWriteStream(out);
  await once(stream, 'open');
  return sinkOn(stream, true);
}

/** Ids unique across all files (the score format requires it within a file): later repeats get `~2`, `~3`, … */
class OutputIds {
  private readonly used = new Set<string>();

  claim(id: string): string {
    let candidate = id;
    for (let n = 2; this.used.has(candidate); n++) candidate = `${id}~${n}`;
    this.used.add(candidate);
    return candidate;
  }
}

/** The trajectory's labels as the pair scorers wrote them (absent ones left out). */
function labelsOf(header: { taskId?: string | null; reward?: number | null; mistakeStep?: number | null; mistakeAgent?: string | null }) {
  return {
    ...(header.taskId != null ? { taskId: header.taskId } : {}),
    ...(header.reward != null ? { reward: header.reward } : {}),
    ...(header.mistakeStep != null ? { mistakeStep: header.mistakeStep } : {}),
    ...(header.mistakeAgent != null ? { mistakeAgent: header.mistakeAgent } : {}),
  };
}

/** The record keys that say where a line comes from and how it was scored (docs/score.md). */
interface Provenance {
  file: string;
  index: number;
  trajectoryFormat: string;
  scoreLevel: 'token' | 'step';
  policyModel: string;
  referenceModel: string;
  engines: { policy: string; reference: string };
  dtype: CliDtype;
  render: RenderMode;
}

/**
 * Step-level scores as score-format steps: one-element arrays holding the step's summed log-probs,
 * so `eval --mode per-model --token-agg sum` (and `difference`, one pair per step) read them as
 * the step log-likelihood ratio. A step with either sum missing gets empty arrays (scores 0 in
 * eval, listed in notScored). The token counts of the two tokenizations go to `stepTokenCounts`.
 */
function stepLevelSteps(score: StepLevelScore): { steps: ScoreStep[]; stepTokenCounts: { message: number; policy: number; reference: number }[] } {
  return {
    steps: score.steps.map((step) => {
      const paired = step.policy !== null && step.reference !== null;
      return {
        message: step.message,
        ...(step.agent !== undefined ? { agent: step.agent } : {}),
        policy: paired ? [step.policy!] : [],
        reference: paired ? [step.reference!] : [],
      };
    }),
    stepTokenCounts: score.steps.map((step) => ({ message: step.message, policy: step.policyTokenCount, reference: step.referenceTokenCount })),
  };
}

// ---------------------------------------------------------------------------------------------

interface ScoringSetup {
  command: ScoreCommand;
  pairing: TokenizerPairing | { level: 'step'; notice: string; precomputed: true };
  policyTokenizer: TokenizerLike | null;
  referenceTokenizer: TokenizerLike;
  policyEngine: TransformersEngine | null;
  referenceEngine: TransformersEngine;
  policyLabel: string;
  referenceLabel: string;
}

interface TrajectoryOutcome {
  line: string;
  notScored: NotScoredStep[];
  renderedTokens: number;
  forwardedTokens: number;
}

/** Tokens forwarded per model, from the engines' progress reports (tokensDone is cumulative per call). */
class ForwardCounter {
  private readonly done = new Map<string, number>();

  onProgress = (progress: PairProgress): void => {
    this.done.set(progress.model, progress.tokensDone);
  };

  total(): number {
    let sum = 0;
    for (const value of this.done.values()) sum += value;
    return sum;
  }
}

async function scoreOne(entry: TrajectoryEntry, setup: ScoringSetup, outputId: string, status: (progress: PairProgress) => void): Promise<TrajectoryOutcome> {
  const { command, pairing } = setup;
  const { trajectory } = entry;
  const counter = new ForwardCounter();
  const onProgress = (progress: PairProgress) => {
    counter.onProgress(progress);
    status(progress);
  };
  const provenance: Provenance = {
    file: entry.file,
    index: entry.index,
    trajectoryFormat: trajectory.format,
    scoreLevel: pairing.level,
    policyModel: setup.policyLabel,
    referenceModel: setup.referenceLabel,
    engines: { policy: setup.policyEngine?.description ?? precomputedFromTrajectory(trajectory).description, reference: setup.referenceEngine.description },
    dtype: command.dtype,
    render: command.render,
  };
  const idKeys = { id: outputId, ...(outputId !== trajectory.id ? { sourceId: trajectory.id } : {}) };

  if (pairing.level === 'token') {
    const rendered = renderTrajectory(trajectory, setup.policyTokenizer!, command.render);
    const { record, notScored } = await scorePair({
      trajectory,
      rendered,
      policy: setup.policyEngine!,
      reference: setup.referenceEngine,
      decodeTokens: setup.policyTokenizer!.decodeTokens,
      ...(command.chunkSize !== undefined ? { chunkSize: command.chunkSize } : {}),
      // Trajectories in file order: a best-of-N group shares its system prompt, forwarded once.
      reusePrefix: true,
      onProgress,
    });
    const line = serializeScoreRecord({ ...labelsOf(record), ...idKeys, ...provenance, notScored, steps: record.steps });
    return { line, notScored, renderedTokens: rendered.tokenIds.length, forwardedTokens: counter.total() };
  }

  const referenceSide: StepLevelSide = { engine: setup.referenceEngine, rendered: renderTrajectory(trajectory, setup.referenceTokenizer, command.render) };
  const policySide: StepLevelSide = setup.policyEngine
    ? { engine: setup.policyEngine, rendered: renderTrajectory(trajectory, setup.policyTokenizer!, command.render) }
    : { precomputed: precomputedFromTrajectory(trajectory) };
  const score = await scoreStepLevel({
    trajectory,
    policy: policySide,
    reference: referenceSide,
    ...(command.chunkSize !== undefined ? { chunkSize: command.chunkSize } : {}),
    reusePrefix: true,
    onProgress,
  });
  const { steps, stepTokenCounts } = stepLevelSteps(score);
  const { notScored } = score;
  const line = serializeScoreRecord({ ...labelsOf(score), ...idKeys, ...provenance, notScored, stepTokenCounts, steps });
  const renderedTokens = 'rendered' in policySide ? policySide.rendered.tokenIds.length : referenceSide.rendered.tokenIds.length;
  return { line, notScored, renderedTokens, forwardedTokens: counter.total() };
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(milliseconds < 10_000 ? 2 : 1)} s`;
}

function rate(tokens: number, milliseconds: number): string {
  return milliseconds > 0 ? `${Math.round((tokens * 1000) / milliseconds)} tokens/s` : '—';
}

async function loadModels(command: ScoreCommand, reporter: Reporter): Promise<ScoringSetup> {
  const referenceSource = await resolveModelSource(command.reference, 'reference');
  const policySource = command.policy === null ? null : await resolveModelSource(command.policy, 'policy');

  const referenceTokenizer = await loadTokenizerOf(referenceSource, 'reference');
  const policyTokenizer = policySource ? await loadTokenizerOf(policySource, 'policy') : null;
  let pairing: ScoringSetup['pairing'];
  if (policyTokenizer === null) {
    pairing = {
      level: 'step',
      precomputed: true,
      notice:
        "the policy log-probs come from the files, in the tokenization of the model that produced them: step-level scores (each step's summed log-probs, the reference model's in its own tokenization)",
    };
  } else {
    pairing = pairTokenizers(
      transformersTokenizerIdentity(policyTokenizer.raw, policyTokenizer.tokenizer),
      transformersTokenizerIdentity(referenceTokenizer.raw, referenceTokenizer.tokenizer),
    );
  }
  if ('notice' in pairing) reporter.notice(`notice: ${pairing.notice}`);

  const started = Date.now();
  const policyEngine = policySource ? await loadEngineOf(policySource, 'policy', command.dtype) : null;
  let referenceEngine: TransformersEngine;
  try {
    referenceEngine = await loadEngineOf(referenceSource, 'reference', command.dtype);
  } catch (error) {
    await policyEngine?.dispose();
    throw error;
  }
  const describe = (side: string, source: ModelSource, engine: TransformersEngine) =>
    `${side}: ${source.spec} (${engine.description}, vocabulary ${engine.vocabSize}, context ${engine.maxContext}, chunk ${engine.effectiveChunkSize(command.chunkSize)})`;
  if (policySource && policyEngine) reporter.info(describe('policy', policySource, policyEngine));
  else reporter.info('policy: log-probs carried by the files (precomputed)');
  reporter.info(`${describe('reference', referenceSource, referenceEngine)}; loaded in ${seconds(Date.now() - started)}`);
  return {
    command,
    pairing,
    policyTokenizer: policyTokenizer?.tokenizer ?? null,
    referenceTokenizer: referenceTokenizer.tokenizer,
    policyEngine,
    referenceEngine,
    policyLabel: policySource ? policySource.spec : 'precomputed (log-probs in the file)',
    referenceLabel: referenceSource.spec,
  };
}

export async function run(argv: string[]): Promise<number> {
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`score: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'list-presets') {
    process.stdout.write(`${MODEL_PRESETS.map(describePreset).join('\n\n')}\n`);
    return 0;
  }

  const reporter = new Reporter(command.quiet);
  for (const warning of command.warnings) reporter.notice(`notice: ${warning}`);
  const { entries, failed: readFailed } = await readTrajectories(command.files, reporter);
  if (entries.length === 0) {
    reporter.notice('error: no trajectory to score');
    return 1;
  }

  let setup: ScoringSetup;
  try {
    setup = await loadModels(command, reporter);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`score: ${err.message}\n`);
      return 2;
    }
    if (!(err instanceof ModelLoadError)) throw err;
    reporter.notice(`error: ${err.message}`);
    return 1;
  }

  let failed = readFailed;
  let scored = 0;
  let withNotScored = 0;
  let totalForwarded = 0;
  const started = Date.now();
  const ids = new OutputIds();
  let sink: LineSink | null = null;
  try {
    sink = await openSink(command.out);
    for (const [position, entry] of entries.entries()) {
      const where = `[${position + 1}/${entries.length}] ${entry.file}#${entry.index} ${JSON.stringify(entry.trajectory.id)}`;
      const trajectoryStarted = Date.now();
      let outcome: TrajectoryOutcome;
      try {
        outcome = await scoreOne(entry, setup, ids.claim(entry.trajectory.id), (progress) =>
          reporter.status(`score: ${where}: ${progress.model} ${progress.tokensDone}/${progress.tokensTotal} tokens`),
        );
      } catch (error) {
        reporter.notice(`error: ${where}: ${error instanceof Error ? error.message : String(error)}`);
        failed = true;
        continue;
      }
      await sink.write(outcome.line);
      scored++;
      totalForwarded += outcome.forwardedTokens;
      const elapsed = Date.now() - trajectoryStarted;
      const stepCount = entry.trajectory.actionSteps.length;
      reporter.info(
        `${where}: ${outcome.renderedTokens} tokens, ${stepCount} action step${stepCount === 1 ? '' : 's'}; ${outcome.forwardedTokens} tokens forwarded in ${seconds(elapsed)} (${rate(outcome.forwardedTokens, elapsed)})`,
      );
      if (outcome.notScored.length > 0) withNotScored++;
      for (const step of outcome.notScored) {
        reporter.notice(`not scored: ${where}: message ${step.message} (${step.reason}, ${step.side}): ${step.detail}`);
      }
    }
  } finally {
    try {
      await sink?.close();
    } finally {
      await setup.policyEngine?.dispose();
      await setup.referenceEngine.dispose();
    }
  }
  const elapsed = Date.now() - started;
  const failures = entries.length - scored;
  reporter.info(
    `${scored} of ${entries.length} trajector${entries.length === 1 ? 'y' : 'ies'} scored (${setup.pairing.level} level) in ${seconds(elapsed)}: ${totalForwarded} tokens forwarded (${rate(totalForwarded, elapsed)})` +
      `${withNotScored > 0 ? `; ${withNotScored} with steps not scored` : ''}${failures > 0 ? `; ${failures} failed` : ''}${command.out ? `; written to ${command.out}` : ''}`,
  );
  return failed ? 1 : 0;
}
