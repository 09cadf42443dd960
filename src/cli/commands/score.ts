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
 * are still scored and written), 2 usage error. With `--engine vllm|sglang` score-server.ts runs instead (docs/servers.md).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { precomputedFromTrajectory } from '../../core/engine';
import { MODEL_PRESETS, describePreset, findPreset } from '../../core/models';
import type { RenderMode } from '../../core/render';
import {
  ModelLoadError,
  disposeScoringPair,
  loadPairEngines,
  loadPairTokenizers,
  modelInfoOf,
  runScoringJob,
  transformersEngineFactory,
  type ContextPolicy,
  type ModelSpec,
  type PairSpec,
  type ScoredTrajectory,
  type ScoringPair,
} from '../../core/scoring';
import { folderLocation, nodeModelFiles } from '../../node/model-files';
import { OutputIds, Reporter, openSink, parseRenderAndContext, parseScoreArgs, readTrajectories, reportNotScored, scoreRecordLine, type LineSink, type TrajectoryEntry } from './score-io';
import { executionRecord, reportModel, type LoadedSide } from './score-report';
import { asksForServerEngine, run as runThroughServers } from './score-server';
import { LLAMA_CPP_OPTIONS, LLAMA_CPP_USAGE, LlamaCppUsageError, loadLlamaCppPair, parseLlamaCppCommand, type LlamaCppCommand } from './score-llama-cpp';
import { printErr, printOut } from '../terminal';
import { REFERENCE_MERGE_OPTIONS, REFERENCE_MERGE_USAGE, parseReferenceMerge, prepareMergedReference, withMergedReference, type MergedReference } from './score-merge';
import { withPolicyFigureCache, type PolicyFigureCache } from './score-policy-cache';
import type { MergeOptions } from '../../core/onnx';
import { OnnxMergeError } from '../../core/onnx';
import { UsageError, parseCommandLine } from '../usage';
import { CPU_MODEL_DTYPES } from '../../core/settings/vocabularies';

/** The dtypes the CPU engine offers (declared with the app's in src/core/settings). */
const CLI_DTYPES = CPU_MODEL_DTYPES;
type CliDtype = (typeof CLI_DTYPES)[number];

const USAGE = `usage: progress-advantage score --policy MODEL --reference MODEL [options] FILE…
       progress-advantage score --preset ID [options] FILE…
       progress-advantage score --precomputed --reference MODEL [options] FILE…
       progress-advantage score --engine llama.cpp --policy A.gguf --reference B.gguf [options] FILE…
       progress-advantage score --engine vllm|sglang --policy-url URL --reference-url URL [options] FILE…  (servers: score --engine vllm --help)

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
                      chat: the policy tokenizer's chat template, the whole conversation at once
                      (a log the template refuses is mapped as the model's tooling would, and
                      the record's chatMapping says how)
  --context-policy P  fit: score the steps that fit the context, report the rest (default);
                      reference: the reference code's (parity): keep the last N tokens, a cut
                      step unscored (eval --unscored zero counts it 0 as that code does)
  --context-tokens N  the reference policy's N       (default 16384)
  --chunk N           tokens per forward pass; the KV cache carries context across chunks
                      (default 512, lowered so one chunk's logits stay under 64 MiB and,
                      at long contexts, its attention scores too)
  --dtype D           ${CPU_MODEL_DTYPES.join(' | ')}: which ONNX file of each model   (default fp32)
  --precomputed       take the policy's log-probs from the files (Inspect AI logprobs, ATIF step
                      metrics.logprobs) instead of a model; needs --reference;
                      scores are step level (two tokenizations)
${REFERENCE_MERGE_USAGE}
${LLAMA_CPP_USAGE}
  --out FILE          write the scores to FILE instead of standard output
  --quiet             no progress on standard error (notices and errors are still written)
  --json              standard error as JSON Lines: one object per model, how it ran, each
                      fallback, trajectory, notice and error, and a summary (docs/score.md)
  -h, --help          this text

exit status: 0 all scored, 1 a file, trajectory or model failed (the rest is still written),
2 usage error.`;

interface ScoreCommand {
  files: string[];
  /** Null with --precomputed: the policy side comes from the files. */
  policy: string | null;
  reference: string;
  render: RenderMode;
  /** What is scored of a trajectory longer than the context (core/scoring/context-policy.ts). */
  context: ContextPolicy;
  chunkSize: number | undefined;
  dtype: CliDtype;
  out: string | null;
  quiet: boolean;
  /** Standard error as JSON Lines instead of text. */
  json: boolean;
  /** Said on stderr before loading (e.g. a dtype a preset does not list). */
  warnings: string[];
  /** --engine llama.cpp: GGUF files (score-llama-cpp.ts); null: the ONNX engine. */
  llamaCpp: LlamaCppCommand | null;
  /** --reference-merge: the policy's weight α in the merged reference (score-merge.ts); null: the reference itself. */
  referenceMerge: number | null;
  /** --merge-method / --merge-density. */
  mergeOptions: MergeOptions;
}

function parseChunk(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--chunk: expected an integer ≥ 1, got '${value}'`);
  }
  return Number(value);
}

function parseCommand(argv: string[]): ScoreCommand | 'help' | 'list-presets' {
  const { values, positionals } = parseScoreArgs(argv, {
    policy: { type: 'string' },
    reference: { type: 'string' },
    preset: { type: 'string' },
    'list-presets': { type: 'boolean' },
    render: { type: 'string' },
    'context-policy': { type: 'string' },
    'context-tokens': { type: 'string' },
    chunk: { type: 'string' },
    dtype: { type: 'string' },
    precomputed: { type: 'boolean' },
    ...REFERENCE_MERGE_OPTIONS,
    out: { type: 'string' },
    quiet: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...LLAMA_CPP_OPTIONS,
  });
  if (values.help) return 'help';
  if (values['list-presets']) return 'list-presets';
  let llamaCpp: LlamaCppCommand | null;
  try {
    llamaCpp = parseLlamaCppCommand(values);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

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
  const { render, context } = parseRenderAndContext(
    values.render ?? (values.preset !== undefined ? findPreset(values.preset)?.render : undefined) ?? 'plain',
    values['context-policy'],
    values['context-tokens'],
  );
  const { referenceMerge, mergeOptions } = parseReferenceMerge(values, precomputed ? '--precomputed' : llamaCpp ? '--engine llama.cpp' : null);
  if (positionals.length === 0) throw new UsageError('no FILE given');
  return {
    context,
    files: positionals,
    policy,
    reference: reference!,
    render,
    chunkSize: parseChunk(values.chunk),
    dtype: dtype as CliDtype,
    out: values.out ?? null,
    quiet: values.quiet === true,
    json: values.json === true,
    warnings,
    llamaCpp,
    referenceMerge,
    mergeOptions,
  };
}

// ---------------------------------------------------------------------------------------------
// Models: a local folder or a hub id

const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

/** A MODEL argument as the scoring path's ModelSpec: an existing folder, else a hub id. */
async function resolveModel(spec: string, side: 'policy' | 'reference'): Promise<ModelSpec & { spec: string }> {
  const path = resolve(spec);
  const found = await stat(path).catch(() => null);
  if (found?.isDirectory()) return { location: folderLocation(path), label: `folder ${path}`, remote: false, spec };
  if (found) throw new UsageError(`--${side}: ${spec} is a file; a model is a folder (config.json, tokenizer files, onnx/) or a hub id`);
  const looksLikePath = /^(\.|\/|~)|\\/.test(spec) || spec.endsWith('/');
  if (looksLikePath || !HUB_ID.test(spec)) throw new UsageError(`--${side}: no model folder ${spec} (and it is not a hub id like owner/name)`);
  return { location: { modelId: spec }, label: `hub model "${spec}"`, remote: true, spec };
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(milliseconds < 10_000 ? 2 : 1)} s`;
}

function rate(tokens: number, milliseconds: number): string {
  return milliseconds > 0 ? `${Math.round((tokens * 1000) / milliseconds)} tokens/s` : '—';
}

interface LoadedPair {
  pair: ScoringPair;
  policyLabel: string;
  referenceLabel: string;
  execution: ReturnType<typeof executionRecord>;
  /** The merged reference's folder (removed when scoring ends), or null. */
  merged?: MergedReference | null;
}

async function loadModels(command: ScoreCommand, reporter: Reporter, policyFigures?: PolicyFigureCache): Promise<LoadedPair> {
  if (command.llamaCpp) return loadLlamaCppPair(command.llamaCpp, { policy: command.policy!, reference: command.reference, chunkSize: command.chunkSize }, reporter);
  const reference = await resolveModel(command.reference, 'reference');
  const policy = command.policy === null ? null : await resolveModel(command.policy, 'policy');
  const spec: PairSpec = { policy, reference, dtype: command.dtype };
  const tokenizers = await loadPairTokenizers(spec);
  if ('notice' in tokenizers.pairing) reporter.notice(`notice: ${tokenizers.pairing.notice}`);

  const started = Date.now();
  const merged = command.referenceMerge !== null && policy ? await prepareMergedReference(policy, reference, command.dtype, command.referenceMerge, command.mergeOptions) : null;
  if (merged) reporter.notice(`notice: ${merged.summary}`);
  const engines = await loadPairEngines(spec, 'cpu', withPolicyFigureCache(withMergedReference(transformersEngineFactory(nodeModelFiles), merged), policyFigures)).catch(async (error: unknown) => {
    await merged?.remove();
    throw error;
  });
  const run = { device: 'cpu', dtype: command.dtype, ...(command.chunkSize !== undefined ? { requestedChunkSize: command.chunkSize } : {}) } as const;
  const policySide: LoadedSide = {
    side: 'policy',
    spec: policy ? policy.spec : 'precomputed',
    info: engines.policyEngine && tokenizers.policyTokenizer ? modelInfoOf(engines.policyEngine, tokenizers.policyTokenizer, run) : null,
  };
  const referenceSide = { side: 'reference', spec: merged ? merged.label : reference.spec, info: modelInfoOf(engines.referenceEngine, tokenizers.referenceTokenizer, run) } as const;
  reportModel(reporter, policySide);
  reportModel(reporter, referenceSide, seconds(Date.now() - started));
  return {
    pair: { spec, device: 'cpu', ...tokenizers, ...engines },
    policyLabel: policy ? policy.spec : 'precomputed (log-probs in the file)',
    referenceLabel: merged ? merged.label : reference.spec,
    execution: executionRecord(policySide, referenceSide),
    merged,
  };
}

/** One output line: its provenance keys (docs/score.md) are where it comes from and how it was scored. */
function outputLine(result: ScoredTrajectory, entry: TrajectoryEntry, outputId: string, loaded: LoadedPair, command: ScoreCommand): string {
  const { pair } = loaded;
  const { trajectory } = entry;
  return scoreRecordLine(result, outputId, trajectory.id, {
    file: entry.file,
    index: entry.index,
    trajectoryFormat: trajectory.format,
    scoreLevel: pair.pairing.level,
    policyModel: loaded.policyLabel,
    referenceModel: loaded.referenceLabel,
    engines: { policy: pair.policyEngine?.description ?? precomputedFromTrajectory(trajectory).description, reference: pair.referenceEngine.description },
    execution: loaded.execution,
    dtype: pair.spec.dtype,
    render: command.render,
    contextPolicy: command.context,
    ...(loaded.merged ? { referenceMerge: loaded.merged.provenance } : {}),
  });
}

export async function run(argv: string[], policyFigures?: PolicyFigureCache): Promise<number> {
  if (asksForServerEngine(argv)) return runThroughServers(argv);
  const commandLine = parseCommandLine('score', USAGE, () => parseCommand(argv));
  if ('exit' in commandLine) return commandLine.exit;
  const { command } = commandLine;
  if (command === 'list-presets') {
    printOut(`${MODEL_PRESETS.map(describePreset).join('\n\n')}\n`);
    return 0;
  }

  const reporter = new Reporter(command.quiet, process.stderr, command.json);
  for (const warning of command.warnings) reporter.notice(`notice: ${warning}`);
  const { entries, failed: readFailed } = await readTrajectories(command.files, reporter);
  if (entries.length === 0) return 1;

  let loaded: LoadedPair;
  try {
    loaded = await loadModels(command, reporter, policyFigures);
  } catch (err) {
    if (err instanceof UsageError || err instanceof LlamaCppUsageError) {
      printErr(`score: ${err.message}\n`);
      return 2;
    }
    if (!(err instanceof ModelLoadError || err instanceof OnnxMergeError)) throw err;
    reporter.notice(`error: ${err.message}`);
    return 1;
  }

  let failed = readFailed;
  let scored = 0;
  let withNotScored = 0;
  let totalForwarded = 0;
  const started = Date.now();
  const ids = new OutputIds();
  const outputIds = entries.map((entry) => ids.claim(entry.trajectory.id));
  const where = (position: number) => {
    const entry = entries[position];
    return `[${position + 1}/${entries.length}] ${entry.file}#${entry.index} ${JSON.stringify(entry.trajectory.id)}`;
  };
  let trajectoryStarted = Date.now();
  let sink: LineSink | null = null;
  try {
    sink = await openSink(command.out);
    const lines = sink;
    await runScoringJob(
      entries.map((entry, position) => ({ key: String(position), trajectory: entry.trajectory })),
      // Trajectories in file order: a best-of-N group shares its system prompt, forwarded once.
      { render: command.render, context: command.context, ...(command.chunkSize !== undefined ? { chunkSize: command.chunkSize } : {}), reusePrefix: true },
      {
        onModelProgress: (key, progress) => reporter.status(`score: ${where(Number(key))}: ${progress.model} ${progress.tokensDone}/${progress.tokensTotal} tokens`),
        onResult: async (result) => {
          const position = Number(result.key);
          const entry = entries[position];
          await lines.write(outputLine(result, entry, outputIds[position], loaded, command));
          scored++;
          totalForwarded += result.forwardedTokens;
          const elapsed = Date.now() - trajectoryStarted;
          const stepCount = entry.trajectory.actionSteps.length;
          const place = { file: entry.file, index: entry.index, id: entry.trajectory.id };
          reporter.info(
            `${where(position)}: ${result.tokens} tokens, ${stepCount} action step${stepCount === 1 ? '' : 's'}; ${result.forwardedTokens} tokens forwarded in ${seconds(elapsed)} (${rate(result.forwardedTokens, elapsed)})`,
            { type: 'trajectory', ...place, outputId: outputIds[position], tokens: result.tokens, actionSteps: stepCount, forwardedTokens: result.forwardedTokens, milliseconds: elapsed },
          );
          const mapping = result.record.chatMapping;
          if (mapping) reporter.notice(`notice: ${where(position)}: mapped for the chat template (${mapping.reason}): ${mapping.changes.join('; ')}`, { type: 'chat-mapping', ...place, ...mapping });
          if (result.notScored.length > 0) withNotScored++;
          reportNotScored(reporter, where(position), place, result.notScored);
          trajectoryStarted = Date.now();
        },
        onError: (key, message) => {
          const entry = entries[Number(key)];
          reporter.notice(`error: ${where(Number(key))}: ${message}`, { type: 'error', file: entry.file, index: entry.index, id: entry.trajectory.id, reason: message });
          failed = true;
          trajectoryStarted = Date.now();
        },
      },
      { pair: () => loaded.pair, isCancelled: () => false },
    );
  } finally {
    try {
      await sink?.close();
    } finally {
      await disposeScoringPair(loaded.pair);
      await loaded.merged?.remove();
    }
  }
  const elapsed = Date.now() - started;
  const failures = entries.length - scored;
  reporter.info(
    `${scored} of ${entries.length} trajector${entries.length === 1 ? 'y' : 'ies'} scored (${loaded.pair.pairing.level} level) in ${seconds(elapsed)}: ${totalForwarded} tokens forwarded (${rate(totalForwarded, elapsed)})` +
      `${withNotScored > 0 ? `; ${withNotScored} with steps not scored` : ''}${failures > 0 ? `; ${failures} failed` : ''}${command.out ? `; written to ${command.out}` : ''}`,
    {
      type: 'summary',
      trajectories: entries.length,
      scored,
      failed: failures,
      withStepsNotScored: withNotScored,
      scoreLevel: loaded.pair.pairing.level,
      tokensForwarded: totalForwarded,
      milliseconds: elapsed,
      out: command.out,
    },
  );
  return failed ? 1 : 0;
}
