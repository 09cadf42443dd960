/**
 * The real-shape figures of `npm run bench` (BENCHMARKS.md, "Speed on a real shape"): a Llama /
 * Qwen-shape q4 model written by lab/model-builder (RMSNorm, RoPE, grouped-query attention,
 * SwiGLU, tied head, seeded random weights) in optimum's text-generation-with-past layout, loaded
 * by the product's engine exactly as a hub export would be (transformers.js, dtype q4).
 *
 * The plain onnxruntime-node reference runs the same graph on the same tokens in chunks of 1,024
 * positions, feeding each chunk's present.* back as past_key_values and fetching every output
 * (full logits). One pass of 4,096 tokens would be the slower reference: on `small` it ran at
 * 321 tokens/s with a 9.3 GB peak (2.5 GB of logits at a 151,936 vocabulary and 4,096² attention
 * scores per head), chunks of 1,024 at 490 tokens/s with 3.4 GB (BENCHMARKS.md).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  LLAMA_FLOPS_FORMULA,
  LLAMA_SHAPE_PRESETS,
  llamaFolderMetadataFiles,
  llamaForwardFlops,
  llamaKvCacheBytesPerToken,
  llamaOnnxFile,
  llamaParameterCount,
  randomLlamaWeights,
  type LlamaShapeConfig,
  type LlamaShapeSize,
} from '../lab/model-builder';
import { createTransformersEngine, type TransformersEngine } from '../src/core/engine/transformers';
import type { TokenRange } from '../src/core/engine';
import { nodeModelFiles } from '../src/node/model-files';
import { randomTokens } from './models';
import { plainForwardMs } from './plain-forward';
import { median, peakRssOfChild } from './node';

/** The dtype the real-shape figures are measured at, and the file transformers.js loads for it. */
export const REAL_SHAPE_DTYPE = 'q4';
/** Positions per run of the plain reference (see the header). */
export const PLAIN_REFERENCE_CHUNK = 1024;

export interface RealShapeModel {
  size: LlamaShapeSize;
  id: string;
  config: LlamaShapeConfig;
}

export const realShapeModel = (size: LlamaShapeSize): RealShapeModel => ({ size, id: `llama-shape-${size}-q4`, config: LLAMA_SHAPE_PRESETS[size] });

export const describeRealShape = (model: RealShapeModel): string => {
  const c = model.config;
  return `Llama-shape '${model.size}' (model-builder, q4 MatMulNBits block 32 symmetric, tied head): ${(llamaParameterCount(c) / 1e6).toFixed(1)} M parameters, vocabulary ${c.vocabSize}, width ${c.hiddenSize}, ${c.layerCount} layers, ${c.headCount} query / ${c.kvHeadCount} key-value heads of ${c.headDim}, MLP ${c.intermediateSize}`;
};

export interface RealShapeFolder {
  root: string;
  model: RealShapeModel;
  /** Seconds spent drawing the weights and writing the graph. */
  buildSeconds: number;
  onnxBytes: number;
  remove(): Promise<void>;
}

/** Writes the model folder (metadata and onnx/model_q4.onnx) under a fresh temp root. */
export async function writeRealShapeFolder(model: RealShapeModel, seed = 1): Promise<RealShapeFolder> {
  const root = await mkdtemp(join(tmpdir(), 'pa-bench-real-shape-'));
  const started = performance.now();
  const weights = randomLlamaWeights(model.config, seed);
  const onnx = llamaOnnxFile(weights, REAL_SHAPE_DTYPE);
  for (const [path, content] of [...Object.entries(llamaFolderMetadataFiles(weights)), [onnx.path, onnx.bytes] as const]) {
    const target = join(root, model.id, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return {
    root,
    model,
    buildSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    onnxBytes: onnx.bytes.length,
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

export const onnxPathOf = (folder: RealShapeFolder): string => join(folder.root, folder.model.id, 'onnx', 'model_q4.onnx');

/** The plain reference (plain-forward.ts): `tokenIds` forwarded in chunks carrying the KV cache, every output fetched; returns milliseconds. */
export function plainChunkedForward(session: ort.InferenceSession, config: LlamaShapeConfig, tokenIds: readonly number[], chunk = PLAIN_REFERENCE_CHUNK): Promise<number> {
  return plainForwardMs(ort.Tensor, session, config, tokenIds, chunk);
}

export interface RealShapeThroughputFigures {
  /** Median over repetitions of (engine tokens/s ÷ plain tokens/s), each pair timed back to back. */
  engineVsNative: number;
  engineTokensPerSecond: number;
  nativeTokensPerSecond: number;
  /** forward FLOPs ÷ median engine time (every token scored: the head runs on every row). */
  gflops: number;
  flopsPerToken: number;
  /** How the engine ran: where logits were reduced, which rows the head computed, the cache, the chunk. */
  reductionPlacement: string;
  logitRows: string;
  kvCacheMode: string;
  chunkSize: number;
  chunks: number;
  fallbacks: string[];
  bytesPerToken: number;
}

/**
 * Engine vs plain session on one folder: the engine scores every token of a `tokens + 1`-token
 * sequence (range [1, tokens + 1): `tokens` positions forwarded, as many as the plain reference runs).
 */
export async function measureRealShapeThroughput(folder: RealShapeFolder, tokens: number, repetitions: number, log: (line: string) => void): Promise<RealShapeThroughputFigures> {
  const { config } = folder.model;
  let engine: TransformersEngine | null = null;
  let plain: ort.InferenceSession | null = null;
  try {
    engine = await createTransformersEngine({ files: nodeModelFiles, modelId: folder.model.id, localModelPath: folder.root, dtype: REAL_SHAPE_DTYPE, device: 'cpu' });
    plain = await ort.InferenceSession.create(onnxPathOf(folder), { executionProviders: ['cpu'] });
    const tokenIds = randomTokens(tokens + 1, config.vocabSize, 7);
    const forwarded = tokenIds.slice(0, tokens);
    const everyToken: TokenRange[] = [{ start: 1, end: tokens + 1 }];
    // Warm-up: the first run of a session allocates its arena and picks kernels.
    await plainChunkedForward(plain, config, forwarded);
    await engine.score(tokenIds, everyToken);
    engine.resetStats();
    const ratios: number[] = [];
    const engineMs: number[] = [];
    for (let repetition = 0; repetition < repetitions; repetition++) {
      const native = await plainChunkedForward(plain, config, forwarded);
      const started = performance.now();
      await engine.score(tokenIds, everyToken);
      const ours = performance.now() - started;
      log(`realShape: repetition ${repetition + 1}: engine ${Math.round((tokens * 1000) / ours)} vs plain ${Math.round((tokens * 1000) / native)} tokens/s`);
      engineMs.push(ours);
      ratios.push(native / ours);
    }
    const nativeMs = ratios.map((ratio, index) => ratio * engineMs[index]);
    const flops = llamaForwardFlops(config, tokens);
    const stats = engine.stats;
    return {
      engineVsNative: Number(median(ratios).toFixed(3)),
      engineTokensPerSecond: Math.round((tokens * 1000) / median(engineMs)),
      nativeTokensPerSecond: Math.round((tokens * 1000) / median(nativeMs)),
      gflops: Number((flops / (median(engineMs) / 1000) / 1e9).toFixed(1)),
      flopsPerToken: Math.round(flops / tokens),
      reductionPlacement: engine.reductionPlacement,
      logitRows: engine.logitRows,
      kvCacheMode: engine.kvCacheMode,
      chunkSize: engine.effectiveChunkSize(),
      chunks: Math.round(stats.chunks / repetitions),
      fallbacks: (engine.fallbacks ?? []).map((fallback) => `${fallback.kind}: ${fallback.reason}`),
      bytesPerToken: Number((stats.bytesReadBack / stats.tokensScored).toFixed(2)),
    };
  } finally {
    await plain?.release();
    await engine?.dispose();
  }
}

export interface RealShapeMemoryFigures {
  memoryGrowth: number;
  peakRssShortMB: number;
  peakRssLongMB: number;
  loadedRssShortMB: number;
  loadedRssLongMB: number;
  /** Resident after scoring with the engine still held: the peak can be the load's (the graph re-read for the in-graph reduction). */
  scoredRssShortMB: number;
  scoredRssLongMB: number;
  shortTokens: number;
  longTokens: number;
  tokensPerSecondShort: number;
  tokensPerSecondLong: number;
  kvCacheShortMB: number;
  kvCacheLongMB: number;
}

/** Peak RSS of a fresh process scoring an agent-like trajectory of each length (bench/memory-child.ts, dtype q4). */
export async function measureRealShapeMemory(folder: RealShapeFolder, shortTokens: number, longTokens: number): Promise<RealShapeMemoryFigures> {
  const model = { id: folder.model.id };
  const short = await peakRssOfChild(folder.root, model, shortTokens, REAL_SHAPE_DTYPE);
  const long = await peakRssOfChild(folder.root, model, longTokens, REAL_SHAPE_DTYPE);
  const kvMB = (tokens: number) => Math.round((llamaKvCacheBytesPerToken(folder.model.config) * tokens) / 2 ** 20);
  return {
    memoryGrowth: Number((long.peakRssMB / short.peakRssMB).toFixed(3)),
    peakRssShortMB: short.peakRssMB,
    peakRssLongMB: long.peakRssMB,
    loadedRssShortMB: short.loadedRssMB,
    loadedRssLongMB: long.loadedRssMB,
    scoredRssShortMB: short.scoredRssMB,
    scoredRssLongMB: long.scoredRssMB,
    shortTokens,
    longTokens,
    tokensPerSecondShort: short.tokensPerSecond,
    tokensPerSecondLong: long.tokensPerSecond,
    kvCacheShortMB: kvMB(shortTokens),
    kvCacheLongMB: kvMB(longTokens),
  };
}

/** Tokens/s of the plain reference on a folder, to time around the browser's WASM run. */
export async function openRealShapeNativeReference(folder: RealShapeFolder, tokens: number): Promise<{ tokensPerSecond(repetitions: number): Promise<number>; close(): Promise<void> }> {
  const session = await ort.InferenceSession.create(onnxPathOf(folder), { executionProviders: ['cpu'] });
  const tokenIds = randomTokens(tokens, folder.model.config.vocabSize, 7);
  await plainChunkedForward(session, folder.model.config, tokenIds);
  return {
    async tokensPerSecond(repetitions) {
      const times: number[] = [];
      for (let repetition = 0; repetition < repetitions; repetition++) times.push(await plainChunkedForward(session, folder.model.config, tokenIds));
      return Math.round((tokens * 1000) / median(times));
    },
    close: () => session.release(),
  };
}

export const REAL_SHAPE_FLOPS_FORMULA = LLAMA_FLOPS_FORMULA;
