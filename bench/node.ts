/**
 * The Node figures of `npm run bench`: the product's engine (createTransformersEngine on
 * onnxruntime-node: chunked KV cache, reduction in the model graph) against a plain
 * onnxruntime-node session on the same builder-made model and tokens, in the same process and run.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { createTransformersEngine, type TransformersEngine } from '../src/core/engine/transformers';
import { nodeModelFiles } from '../src/node/model-files';
import type { TokenFigures, TokenRange } from '../src/core/engine';
import type { Gpt2Config } from '../lab/model-builder';
import { packScoreRecord, unpackScoreRecord, type PackedScoreRecord } from '../src/core/scores/packed';
import { longScoreRecord } from '../tools/generated';
import { agentRanges, forwardFlops, randomTokens, scoredTokenCount, writeBenchModels, type BenchModel } from './models';

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

/** One forward of the whole sequence with full logits (every output fetched), as a plain session does it. */
export async function plainForward(session: ort.InferenceSession, config: Gpt2Config, tokenIds: readonly number[]): Promise<number> {
  const length = tokenIds.length;
  const int64 = (valueAt: (index: number) => number) => new ort.Tensor('int64', BigInt64Array.from({ length }, (_, index) => BigInt(valueAt(index))), [1, length]);
  const headDim = config.embeddingDim / config.headCount;
  const feeds: Record<string, ort.Tensor> = { input_ids: int64((index) => tokenIds[index]), attention_mask: int64(() => 1), position_ids: int64((index) => index) };
  for (let layer = 0; layer < config.layerCount; layer++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, config.headCount, 0, headDim]);
  }
  const started = performance.now();
  const outputs = await session.run(feeds);
  const elapsed = performance.now() - started;
  const logits = outputs.logits.data as Float32Array;
  if (logits.length !== length * config.vocabSize) throw new Error('plain forward: unexpected logits size');
  return elapsed;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

export interface ThroughputOptions {
  model: BenchModel;
  /** Tokens forwarded per run. */
  tokens: number;
  repetitions: number;
  chunkSize?: number;
}

export interface ThroughputFigures {
  /** Median over repetitions of (engine tokens/s ÷ plain tokens/s), each pair measured back to back. */
  engineVsNative: number;
  engineTokensPerSecond: number;
  nativeTokensPerSecond: number;
  /** Same, with the reduction in a separate session (logits read back): what the in-graph reduction saves. */
  separateReductionVsNative: number;
  /** Engine tokens/s when only agent-like action ranges (~35 %) are scored. */
  actionMaskTokensPerSecond: number;
  bytesPerToken: number;
  bytesPerTokenSeparateReduction: number;
  bytesPerTokenNaive: number;
  /** KV cache bytes the CPU runtime copies out per forwarded token (each chunk's new rows; the last chunk's are not needed). */
  kvBytesPerToken: number;
  reductionPlacement: string;
  kvCacheMode: string;
  /** Achieved GFLOP/s of the engine run (forwardFlops / median engine time). */
  gflops: number;
  flopsPerToken: number;
}

/**
 * engineVsNative and bytesPerToken: the engine scores every token of a `tokens + 1`-token sequence
 * (range [1, tokens + 1): `tokens` positions forwarded, the same `tokens` a plain forward runs).
 */
export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputFigures> {
  const { model, tokens, repetitions } = options;
  const folders = await writeBenchModels([model]);
  const engines: TransformersEngine[] = [];
  let plain: ort.InferenceSession | null = null;
  try {
    const load = (reduction: 'auto' | 'separate') =>
      createTransformersEngine({ files: nodeModelFiles, modelId: model.id, localModelPath: folders.root, dtype: 'fp32', device: 'cpu', reduction, ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}) });
    const engine = await load('auto');
    engines.push(engine);
    const separate = await load('separate');
    engines.push(separate);
    plain = await ort.InferenceSession.create(folders.onnxPath(model.id), { executionProviders: ['cpu'] });

    const tokenIds = randomTokens(tokens + 1, model.config.vocabSize, 7);
    const everyToken: TokenRange[] = [{ start: 1, end: tokens + 1 }];
    const actions = agentRanges(tokens + 1, Math.floor(tokens / 4), 11);
    // Warm-up: the first run of a session allocates its arena and picks kernels.
    await plainForward(plain, model.config, tokenIds.slice(0, tokens));
    await engine.score(tokenIds, everyToken);
    await separate.score(tokenIds, everyToken);

    const ratios: number[] = [];
    const separateRatios: number[] = [];
    const engineMs: number[] = [];
    const nativeMs: number[] = [];
    const actionMs: number[] = [];
    engine.resetStats();
    separate.resetStats();
    for (let repetition = 0; repetition < repetitions; repetition++) {
      const native = await plainForward(plain, model.config, tokenIds.slice(0, tokens));
      const ours = (await timed(() => engine.score(tokenIds, everyToken))).ms;
      const twoSessions = (await timed(() => separate.score(tokenIds, everyToken))).ms;
      nativeMs.push(native);
      engineMs.push(ours);
      ratios.push(native / ours);
      separateRatios.push(native / twoSessions);
    }
    const fused = engine.stats;
    const twoSessionStats = separate.stats;
    for (let repetition = 0; repetition < Math.max(1, Math.floor(repetitions / 2)); repetition++) {
      actionMs.push((await timed(() => engine.score(tokenIds, actions))).ms);
    }
    const actionForwarded = Math.max(...actions.map((range) => range.end - 1));
    const flops = forwardFlops(model.config, tokens);
    return {
      engineVsNative: round(median(ratios)),
      engineTokensPerSecond: Math.round((tokens * 1000) / median(engineMs)),
      nativeTokensPerSecond: Math.round((tokens * 1000) / median(nativeMs)),
      separateReductionVsNative: round(median(separateRatios)),
      actionMaskTokensPerSecond: Math.round((actionForwarded * 1000) / median(actionMs)),
      bytesPerToken: round(fused.bytesReadBack / fused.tokensScored, 2),
      bytesPerTokenSeparateReduction: round(twoSessionStats.bytesReadBack / twoSessionStats.tokensScored, 2),
      bytesPerTokenNaive: 4 * model.config.vocabSize,
      kvBytesPerToken: Math.round(fused.kvBytesReadBack / fused.tokensForwarded),
      reductionPlacement: engine.reductionPlacement,
      kvCacheMode: engine.kvCacheMode,
      gflops: round(flops / (median(engineMs) / 1000) / 1e9, 1),
      flopsPerToken: Math.round(flops / tokens),
    };
  } finally {
    await plain?.release();
    for (const engine of engines) await engine.dispose();
    await folders.remove();
  }
}

/** A plain onnxruntime-node session on a model, to time the native reference next to another measurement. */
export interface NativeReference {
  /** Median tokens/s of `repetitions` full forwards (full logits) of `tokens` tokens. */
  tokensPerSecond(repetitions: number): Promise<number>;
  close(): Promise<void>;
}

export async function openNativeReference(model: BenchModel, tokens: number): Promise<NativeReference> {
  const folders = await writeBenchModels([model]);
  const session = await ort.InferenceSession.create(folders.onnxPath(model.id), { executionProviders: ['cpu'] });
  const tokenIds = randomTokens(tokens, model.config.vocabSize, 7);
  await plainForward(session, model.config, tokenIds);
  return {
    async tokensPerSecond(repetitions) {
      const times: number[] = [];
      for (let repetition = 0; repetition < repetitions; repetition++) times.push(await plainForward(session, model.config, tokenIds));
      return Math.round((tokens * 1000) / median(times));
    },
    async close() {
      await session.release();
      await folders.remove();
    },
  };
}

export interface PrefixReuseOptions {
  model: BenchModel;
  /** Trajectories in the best-of-N group. */
  trajectories: number;
  /** Tokens of the shared system prompt (instructions, policy text, tool schemas) and first user turn. */
  sharedPrefix: number;
  /** Tokens of each trajectory after the shared prefix. */
  ownTokens: number;
}

export interface PrefixReuseFigures {
  /** Tokens forwarded with prefix reuse ÷ tokens forwarded scoring each trajectory from scratch (1.0 = no reuse). */
  prefixReuse: number;
  tokensForwardedWithReuse: number;
  tokensForwardedNaive: number;
  tokensScored: number;
  /** Largest |Δ| between reused-prefix and fresh figures (log-prob, entropy, top-20 mean). */
  maxAbsDifference: number;
  /** Wall time with reuse ÷ without. */
  timeRatio: number;
}

/**
 * A τ²-bench-like best-of-N group: every trajectory starts with the same system prompt (policy text
 * and tools) and first user message, then goes its own way; the assistant turns are scored,
 * including an opening assistant greeting inside the shared prefix.
 */
export async function measurePrefixReuse(options: PrefixReuseOptions): Promise<PrefixReuseFigures> {
  const { model, trajectories, sharedPrefix, ownTokens } = options;
  const folders = await writeBenchModels([model]);
  let engine: TransformersEngine | null = null;
  try {
    engine = await createTransformersEngine({ files: nodeModelFiles, modelId: model.id, localModelPath: folders.root, dtype: 'fp32', device: 'cpu' });
    const prefix = randomTokens(sharedPrefix, model.config.vocabSize, 3);
    const greeting: TokenRange = { start: sharedPrefix - 24, end: sharedPrefix - 4 };
    const group = Array.from({ length: trajectories }, (_, index) => {
      const tokenIds = [...prefix, ...randomTokens(ownTokens, model.config.vocabSize, 100 + index)];
      const ranges = [greeting, ...agentRanges(tokenIds.length, sharedPrefix, 200 + index)];
      return { tokenIds, ranges };
    });
    engine.resetStats();
    const fresh = await timed(async () => {
      const results: TokenFigures[][] = [];
      for (const trajectory of group) results.push(await engine!.score(trajectory.tokenIds, trajectory.ranges));
      return results;
    });
    const naive = engine.stats;
    engine.resetStats();
    const reused = await timed(() => engine!.scoreMany(group));
    const withReuse = engine.stats;
    let maxAbsDifference = 0;
    reused.result.forEach((figures, trajectory) =>
      figures.forEach((figure, range) => {
        for (const key of ['logprob', 'entropy', 'topkMean'] as const) {
          figure[key].forEach((value, index) => {
            maxAbsDifference = Math.max(maxAbsDifference, Math.abs(value - fresh.result[trajectory][range][key][index]));
          });
        }
      }),
    );
    return {
      prefixReuse: round(withReuse.tokensForwarded / naive.tokensForwarded),
      tokensForwardedWithReuse: withReuse.tokensForwarded,
      tokensForwardedNaive: naive.tokensForwarded,
      tokensScored: scoredTokenCount(group.flatMap((trajectory) => trajectory.ranges)),
      maxAbsDifference,
      timeRatio: round(reused.ms / fresh.ms),
    };
  } finally {
    await engine?.dispose();
    await folders.remove();
  }
}

export interface MemoryOptions {
  model: BenchModel;
  shortTokens: number;
  longTokens: number;
}

export interface MemoryFigures {
  memoryGrowth: number;
  peakRssShortMB: number;
  peakRssLongMB: number;
  /** RSS after loading the model, before scoring (the floor both peaks share). */
  loadedRssShortMB: number;
  loadedRssLongMB: number;
  shortTokens: number;
  longTokens: number;
  /** Size of the model's KV cache (2 × layers × width × 4 bytes per token) at each length: what must grow with the length. */
  kvCacheShortMB: number;
  kvCacheLongMB: number;
}

export interface ChildMemory {
  peakRssMB: number;
  loadedRssMB: number;
  /** Resident after scoring, the engine (and its cache) still held. */
  scoredRssMB: number;
  tokensPerSecond: number;
}

/** Peak RSS of a fresh child process scoring `tokens` tokens with the model's `dtype` file (bench/memory-child.ts). */
export async function peakRssOfChild(modelRoot: string, model: Pick<BenchModel, 'id'>, tokens: number, dtype = 'fp32'): Promise<ChildMemory> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./memory-child.ts', import.meta.url)), modelRoot, model.id, String(tokens), dtype], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`memory child (${tokens} tokens) failed with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(line) as ChildMemory;
}

const kvCacheBytes = (model: BenchModel, tokens: number): number => 2 * model.config.layerCount * model.config.embeddingDim * 4 * tokens;

/** memoryGrowth: peak RSS scoring the long trajectory ÷ peak RSS for the short one, each in a fresh process. */
export async function measureMemoryGrowth(options: MemoryOptions): Promise<MemoryFigures> {
  const folders = await writeBenchModels([options.model]);
  try {
    const short = await peakRssOfChild(folders.root, options.model, options.shortTokens);
    const long = await peakRssOfChild(folders.root, options.model, options.longTokens);
    return {
      memoryGrowth: round(long.peakRssMB / short.peakRssMB),
      peakRssShortMB: short.peakRssMB,
      peakRssLongMB: long.peakRssMB,
      loadedRssShortMB: short.loadedRssMB,
      loadedRssLongMB: long.loadedRssMB,
      shortTokens: options.shortTokens,
      longTokens: options.longTokens,
      kvCacheShortMB: Math.round(kvCacheBytes(options.model, options.shortTokens) / 2 ** 20),
      kvCacheLongMB: Math.round(kvCacheBytes(options.model, options.longTokens) / 2 ** 20),
    };
  } finally {
    await folders.remove();
  }
}

export interface ScoreRecordTransferFigures {
  tokens: number;
  /** structuredClone of the plain record (number[] and string[] per step): what put() and postMessage did before. */
  clonePlainMs: number;
  packMs: number;
  /** structuredClone of the packed record (typed arrays and one string per step). */
  clonePackedMs: number;
  /** The page's one pass back to plain arrays after a transfer. */
  unpackMs: number;
}

/**
 * What a long trajectory's score record costs to move: cloned as plain arrays, or packed, cloned
 * (put()) or transferred (postMessage), and unpacked on the page (core/scores/packed.ts). Median
 * of `repetitions` after one warm-up; a record of 50 steps like the render benchmark's.
 */
export function measureScoreRecordTransfer(tokens: number, repetitions: number): ScoreRecordTransferFigures {
  const record = longScoreRecord(tokens, { id: 'bench-transfer', entropy: true });
  const timed = (work: () => unknown): number => {
    const started = performance.now();
    work();
    return performance.now() - started;
  };
  const samples = { clonePlainMs: [] as number[], packMs: [] as number[], clonePackedMs: [] as number[], unpackMs: [] as number[] };
  for (let repetition = 0; repetition <= repetitions; repetition++) {
    const clonePlain = timed(() => structuredClone(record));
    let packed: PackedScoreRecord | null = null;
    const pack = timed(() => (packed = packScoreRecord(record)));
    let cloned: PackedScoreRecord | null = null;
    const clonePacked = timed(() => (cloned = structuredClone(packed!)));
    const unpack = timed(() => unpackScoreRecord(cloned!));
    if (repetition === 0) continue; // warm-up
    samples.clonePlainMs.push(clonePlain);
    samples.packMs.push(pack);
    samples.clonePackedMs.push(clonePacked);
    samples.unpackMs.push(unpack);
  }
  const ms = (values: number[]) => Number(median(values).toFixed(2));
  return { tokens: record.steps.reduce((sum, step) => sum + step.policy.length, 0), clonePlainMs: ms(samples.clonePlainMs), packMs: ms(samples.packMs), clonePackedMs: ms(samples.clonePackedMs), unpackMs: ms(samples.unpackMs) };
}
