/**
 * LogprobEngine on a transformers.js causal LM. transformers.js loads the model (hub or local
 * folder, dtype → ONNX file, execution provider); the engine then runs the model's ONNX session
 * itself, in chunks that carry the KV cache, and reduces each chunk's logits to three floats per
 * scored position on the device that computed them (reduction.ts). Runs unchanged in Node
 * (onnxruntime-node) and in a browser worker (onnxruntime-web, WASM or WebGPU).
 *
 * Where the logits live:
 *  - CPU (onnxruntime-node) and WASM: the reduction is appended to the model's own graph
 *    (`fuseReductionIntoModel`) and the engine re-creates the session from the model file, so the
 *    session returns three floats per scored position and the logits never leave the runtime.
 *    Only the rows of scored positions are reduced.
 *  - onnxruntime-web + WebGPU: the model writes each chunk's logits into a GPUBuffer the engine
 *    pre-allocated and passes as the `logits` fetch; a reduction session reads that buffer, and
 *    only the [1, S] figures are downloaded. (transformers.js v4 overwrites
 *    `session_options.preferredOutputLocation` on WebGPU with its own present.* map, so asking for
 *    `logits: 'gpu-buffer'` at load time does not survive; a pre-allocated output does.)
 *  - anywhere else, or when the model file cannot be read again (a hub model not in the cache, an
 *    opset older than 13): logits come back to the CPU chunk by chunk and are reduced in a second
 *    session. Chunks are sized by the logits each pass computes, where they live (chunk-plan.ts).
 *
 * The KV cache between chunks (kv-cache.ts): where the reduction is fused, the graph also gives
 * each run's new cache rows and the engine appends them to one buffer per cache tensor, sized once
 * for the sequence; otherwise the present.* outputs are fed back as they are (on WebGPU they stay
 * GPU buffers).
 *
 * Prefix reuse (`reusePrefix`, `scoreMany`): the KV cache at the end of one sequence is kept, and
 * the next sequence starts from the longest prefix they share (best-of-N trajectories share the
 * system prompt and policy text), with the figures of positions scored in both taken over.
 *
 * Longer than 400 lines: the chunk loop, prefix reuse and the two reduction paths act on the same
 * per-sequence state; the pieces without it live beside this file.
 */
import { FUSED_REDUCTION_INPUTS, FUSED_REDUCTION_OUTPUTS, type LogitReducer, type ReducedFigures } from '../reduction';
import { disposeTensors, float32DataOf, type GpuDeviceLike, type OrtRuntime, type OrtSession, type OrtTensor, type OrtTensorData, type OrtTensorType } from '../ort-types';
import { AppendOnlyCache, PresentTensorCache, byteSizeOf, hasNewCacheRows, type CacheLink, type KvCache } from '../kv-cache';
import { contextNeeded, emptyFigures, throwIfAborted, validateRanges, validateTokenIds } from '../ranges';
import { ContextLimitError, type EngineFallback, type EngineStats, type ScoreOptions, type SequenceToScore, type TokenFigures, type TokenRange } from '../types';
import type { TransformersEngine } from './options';
import { logitsByteBudget, logitsRowBudget, nextChunk, type ChunkLimits } from './chunk-plan';
import { cacheLinksOf, headsOf, idTypeOf, sequenceInputs } from './graph-io';
import { DeviceLogitsBuffers } from './device-buffers';
import {
  compareTokens,
  copyPositionFigures,
  positionFigures,
  reusablePrefix,
  sharedPrefixLength,
  writeRangeFigures,
  type PrefixCache,
} from './prefix-cache';
import { appendAll } from '../../arrays';

const FLOAT32_BYTES = 4;
const FIGURE_ARRAYS = 3;

/** Serialises runs across engines: onnxruntime-web runs one session at a time (“Session already started”). */
let runQueue: Promise<unknown> = Promise.resolve();
function serialized<T>(task: () => Promise<T>): Promise<T> {
  const result = runQueue.then(task);
  runQueue = result.catch(() => undefined);
  return result;
}

/**
 * What an engine is built from. `engineFromModel` assembles it from a transformers.js model;
 * tests (and callers with their own sessions) can assemble it directly.
 */
export interface EngineParts {
  modelId: string;
  description: string;
  session: OrtSession;
  runtime: OrtRuntime;
  reducer: Pick<LogitReducer, 'reduce' | 'release'>;
  vocabSize: number;
  logitsType: 'float32' | 'float16';
  maxContext: number;
  /** Added to every position id (1 for the Gemma-3 family). */
  positionOffset: number;
  /** Set when logits stay on the GPU: the device the model and reduction sessions share. */
  gpuDevice: GpuDeviceLike | null;
  chunkSize: number;
  maxLogitsBytesPerChunk: number | null;
  /** Attention-score budget per chunk (see DEFAULT_MAX_ATTENTION_BYTES_PER_CHUNK); absent: no cap. */
  maxAttentionBytesPerChunk?: number | null;
  /** The session's graph carries the reduction (FUSED_REDUCTION_INPUTS / _OUTPUTS); `reducer` is then not used. */
  fusedReduction?: boolean;
  /** The fused graph's LM head computes the reduced rows only (reduction.ts headCutOf). */
  headCut?: boolean;
  /** How this engine runs other than the fastest way, with reasons (ScoringEngine.fallbacks). */
  fallbacks?: readonly EngineFallback[];
  /** Query heads (config.num_attention_heads): sizes chunks under the attention budget; default: read from the cache inputs' shape. */
  attentionHeads?: number | null;
  /** Releases the model session(s). */
  release(): Promise<void>;
}

export function engineFromParts(parts: EngineParts): TransformersEngine {
  return new TransformersLogprobEngine(parts);
}

const zeroStats = (): EngineStats => ({ sequences: 0, tokensScored: 0, tokensForwarded: 0, tokensReused: 0, chunks: 0, bytesReadBack: 0, kvBytesReadBack: 0 });

/** One chunk's figures and where each chunk position's figures sit in them (−1: not reduced). */
interface ChunkFigures {
  reduced: ReducedFigures;
  indexOfPosition: Int32Array;
}

class TransformersLogprobEngine implements TransformersEngine {
  readonly modelId: string;
  readonly description: string;
  readonly maxContext: number;
  readonly vocabSize: number;
  readonly logitsPlacement: 'device' | 'cpu';
  readonly reductionPlacement: 'model-graph' | 'separate-session';
  private readonly cacheLinks: CacheLink[];
  private readonly inputNames: ReadonlySet<string>;
  private readonly idType: 'int64' | 'int32';
  readonly kvCacheMode: 'append-only' | 'present-outputs';
  readonly logitRows: 'scored-only' | 'every-position';
  readonly fallbacks: readonly EngineFallback[];
  /** Query heads: each one holds a [chunk, past + chunk] score matrix per layer. null: unknown, no cap. */
  private readonly attentionHeads: number | null;
  private prefixCache: PrefixCache | null = null;
  private counters: EngineStats = zeroStats();
  private disposed = false;

  constructor(private readonly parts: EngineParts) {
    this.modelId = parts.modelId;
    this.description = parts.description;
    this.maxContext = parts.maxContext;
    this.vocabSize = parts.vocabSize;
    this.logitsPlacement = parts.gpuDevice ? 'device' : 'cpu';
    this.reductionPlacement = parts.fusedReduction ? 'model-graph' : 'separate-session';
    this.inputNames = new Set(parts.session.inputNames);
    this.cacheLinks = cacheLinksOf(parts.session, parts.modelId);
    this.idType = idTypeOf(parts.session);
    this.attentionHeads = parts.attentionHeads ?? headsOf(this.cacheLinks[0]);
    this.logitRows = parts.fusedReduction && parts.headCut ? 'scored-only' : 'every-position';
    this.kvCacheMode = hasNewCacheRows(parts.session.outputNames, this.cacheLinks) ? 'append-only' : 'present-outputs';
    this.fallbacks = [...(parts.fallbacks ?? [])];
  }

  get stats(): EngineStats {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = zeroStats();
  }

  /**
   * Tokens per forward pass. A cut head computes logits for the scored rows only, so the logits
   * budget bounds those rows (scoredRowsPerChunk), not the chunk; otherwise every position's
   * logits are computed and the budget bounds the chunk.
   */
  effectiveChunkSize(requested?: number): number {
    const chunk = requested ?? this.parts.chunkSize;
    if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunk}`);
    return this.logitRows === 'scored-only' ? chunk : Math.min(chunk, this.scoredRowsPerChunk);
  }

  /** Most rows of logits one pass computes: what fits the budget of the place they live in (chunk-plan.ts). */
  get scoredRowsPerChunk(): number {
    const bytes = logitsByteBudget({
      requestedBytes: this.parts.maxLogitsBytesPerChunk,
      gpuLimits: this.parts.gpuDevice?.limits ?? null,
      runtimeName: this.parts.runtime.name,
      reductionInGraph: this.reductionPlacement === 'model-graph',
    });
    return logitsRowBudget(bytes, this.vocabSize);
  }

  private chunkLimits(chunkSize: number): ChunkLimits {
    return {
      chunkSize,
      logitRowsPerChunk: this.scoredRowsPerChunk,
      scoredRowsOnly: this.logitRows === 'scored-only',
      attentionBytes: this.parts.maxAttentionBytesPerChunk ?? null,
      attentionHeads: this.attentionHeads,
    };
  }

  async score(tokenIds: ArrayLike<number>, ranges: readonly TokenRange[], options: ScoreOptions = {}): Promise<TokenFigures[]> {
    if (this.disposed) throw new Error(`${this.modelId}: the engine was disposed`);
    validateRanges(ranges, tokenIds.length);
    const forwardLength = contextNeeded(ranges);
    if (forwardLength > this.maxContext) throw new ContextLimitError(this.maxContext, forwardLength);
    // Forwarded tokens and the target of the last forwarded position.
    if (forwardLength > 0) validateTokenIds(tokenIds, forwardLength + 1, this.vocabSize);
    const chunkSize = this.effectiveChunkSize(options.chunkSize);
    throwIfAborted(options.signal);
    const figures = ranges.map((range) => emptyFigures(range.end - range.start));
    if (forwardLength === 0) return figures;
    return serialized(async () => {
      await this.scoreSequence(tokenIds, ranges, figures, forwardLength, chunkSize, options);
      return figures;
    });
  }

  async scoreMany(sequences: readonly SequenceToScore[], options: Omit<ScoreOptions, 'reusePrefix'> = {}): Promise<TokenFigures[][]> {
    const order = sequences.map((_, index) => index).sort((a, b) => compareTokens(sequences[a].tokenIds, sequences[b].tokenIds));
    // Progress over the group: forward lengths less what each shares with the sequence before it (an estimate: scored positions can shorten a reuse).
    const forwardLengths = sequences.map((sequence) => Math.min(contextNeeded(sequence.ranges), this.maxContext));
    let tokensTotal = 0;
    order.forEach((index, rank) => {
      const previous = rank > 0 ? order[rank - 1] : -1;
      const shared = previous === -1 ? 0 : Math.min(sharedPrefixLength(sequences[previous].tokenIds, sequences[index].tokenIds), forwardLengths[previous]);
      tokensTotal += Math.max(0, forwardLengths[index] - shared);
    });
    const results: TokenFigures[][] = new Array<TokenFigures[]>(sequences.length);
    const { onProgress } = options;
    let tokensDone = 0;
    try {
      for (const index of order) {
        let doneHere = 0;
        const progress = (step: { tokensDone: number; tokensTotal: number }) => {
          doneHere = step.tokensDone;
          tokensTotal = Math.max(tokensTotal, tokensDone + step.tokensTotal);
          onProgress?.({ tokensDone: tokensDone + step.tokensDone, tokensTotal });
        };
        results[index] = await this.score(sequences[index].tokenIds, sequences[index].ranges, { ...options, reusePrefix: true, onProgress: progress });
        tokensDone += doneHere;
      }
    } finally {
      await this.releasePrefixCache();
    }
    return results;
  }

  async releasePrefixCache(): Promise<void> {
    await serialized(async () => this.dropPrefixCache());
  }

  private dropPrefixCache(): void {
    const cache = this.prefixCache;
    this.prefixCache = null;
    cache?.kv.dispose();
  }

  private async scoreSequence(
    tokenIds: ArrayLike<number>,
    ranges: readonly TokenRange[],
    figures: TokenFigures[],
    forwardLength: number,
    chunkSize: number,
    options: ScoreOptions,
  ): Promise<void> {
    const reuse = options.reusePrefix === true;
    const counters = this.counters;
    counters.sequences++;
    counters.tokensScored += ranges.reduce((sum, range) => sum + Math.max(0, range.end - range.start), 0);
    // Figures by position for the cache this call leaves behind.
    const kept = reuse ? positionFigures(forwardLength) : null;
    let start = 0;
    let past: KvCache | null = null;
    if (reuse && this.prefixCache) {
      const cache = this.prefixCache;
      const { reused, shared } = reusablePrefix(cache, tokenIds, ranges, forwardLength);
      if (reused > 0) {
        writeRangeFigures(ranges, 0, reused, figures, (position) => (cache.figures.valid[position] ? { source: cache.figures, index: position } : null));
        counters.tokensReused += reused;
        if (reused === forwardLength) return; // every scored token came from the cache, which stays as it is
        for (let position = 0; position < reused; position++) {
          if (cache.figures.valid[position] && position + 1 < shared) copyPositionFigures(cache.figures, position, kept!, position);
        }
        this.prefixCache = null;
        past = cache.kv;
        counters.kvBytesReadBack += await past.truncate(reused);
        start = reused;
      } else {
        this.dropPrefixCache();
      }
    }
    past ??= this.newCache(forwardLength);
    if (past instanceof AppendOnlyCache) past.reserve(forwardLength);

    const { session } = this.parts;
    const fused = this.parts.fusedReduction === true;
    const deviceLogits = this.parts.gpuDevice ? new DeviceLogitsBuffers(this.parts.gpuDevice, this.parts.runtime.Tensor, this.vocabSize, this.parts.logitsType) : null;
    const limits = this.chunkLimits(chunkSize);
    try {
      for (let position = start; position < forwardLength; ) {
        throwIfAborted(options.signal);
        if (this.disposed) throw new Error(`${this.modelId}: the engine was disposed while scoring`);
        const { length, scored } = nextChunk(position, forwardLength, ranges, limits);
        const end = position + length;
        // The last chunk's cache is only needed when it is kept for the next sequence.
        const wantCache = end < forwardLength || reuse;

        const inputs = this.chunkInputs(tokenIds, position, length);
        if (fused) Object.assign(inputs, this.reductionInputs(tokenIds, scored, position));
        const fetchNames = wantCache ? [...past.fetchNames] : [];
        let fetches: readonly string[] | Record<string, OrtTensor | null>;
        if (fused) {
          if (scored.length > 0) appendAll(fetchNames, Object.values(FUSED_REDUCTION_OUTPUTS));
          fetches = fetchNames;
        } else if (deviceLogits) {
          // The device path writes every chunk's logits into its buffer (they never leave the GPU).
          fetches = { logits: deviceLogits.tensorFor(length), ...Object.fromEntries(fetchNames.map((name) => [name, null])) };
        } else {
          fetches = scored.length > 0 ? ['logits', ...fetchNames] : fetchNames;
        }
        let outputs: Record<string, OrtTensor>;
        try {
          outputs = await session.run({ ...inputs, ...past.feeds() }, fetches);
        } finally {
          disposeTensors(Object.values(inputs));
        }
        if (wantCache) counters.kvBytesReadBack += past.advance(outputs, length);

        if (scored.length > 0) {
          const chunk = fused ? this.fusedFigures(outputs, scored, position, length) : await this.separateFigures(outputs.logits, deviceLogits !== null, tokenIds, scored, position, length);
          writeRangeFigures(ranges, position, end, figures, (at) => {
            const index = chunk.indexOfPosition[at - position];
            return index === -1 ? null : { source: chunk.reduced, index };
          });
          if (kept) {
            for (const at of scored) copyPositionFigures(chunk.reduced, chunk.indexOfPosition[at - position], kept, at);
          }
        }
        counters.chunks++;
        counters.tokensForwarded += length;
        options.onProgress?.({ tokensDone: end - start, tokensTotal: forwardLength - start });
        position = end;
      }
      if (reuse) {
        const tokens = Int32Array.from({ length: Math.min(forwardLength + 1, tokenIds.length) }, (_, index) => tokenIds[index]);
        this.prefixCache = { tokens, kv: past, kvLength: forwardLength, figures: kept! };
        past = null;
      }
    } finally {
      past?.dispose();
      deviceLogits?.destroy();
    }
  }

  /**
   * The fused reduction's inputs: chunk-relative positions to reduce and the token after each. A
   * chunk with no scored position still feeds one (not fetched): onnxruntime runs the whole graph,
   * and its CPU TopK divides by zero on an empty tensor.
   */
  private reductionInputs(tokenIds: ArrayLike<number>, chunkScored: readonly number[], chunkStart: number): Record<string, OrtTensor> {
    const { Tensor } = this.parts.runtime;
    const scored = chunkScored.length > 0 ? chunkScored : [chunkStart];
    const positions = BigInt64Array.from(scored, (position) => BigInt(position - chunkStart));
    const targets = BigInt64Array.from(scored, (position) => BigInt(tokenIds[position + 1]));
    return {
      [FUSED_REDUCTION_INPUTS.positions]: new Tensor('int64', positions, [scored.length]),
      [FUSED_REDUCTION_INPUTS.targets]: new Tensor('int64', targets, [1, scored.length]),
    };
  }

  private fusedFigures(outputs: Record<string, OrtTensor>, scored: readonly number[], chunkStart: number, length: number): ChunkFigures {
    const read = (name: string) => {
      const tensor = outputs[name];
      try {
        this.counters.bytesReadBack += byteSizeOf(tensor);
        return float32DataOf(tensor, name);
      } finally {
        tensor.dispose();
      }
    };
    const reduced = {
      logprob: read(FUSED_REDUCTION_OUTPUTS.targetLogprob),
      entropy: read(FUSED_REDUCTION_OUTPUTS.entropy),
      topkMean: read(FUSED_REDUCTION_OUTPUTS.topkMean),
    };
    const indexOfPosition = new Int32Array(length).fill(-1);
    scored.forEach((position, index) => {
      indexOfPosition[position - chunkStart] = index;
    });
    return { reduced, indexOfPosition };
  }

  /**
   * Figures from the separate reduction session. CPU logits are reduced over the rows from the
   * first to the last scored position only (a view, no copy); device logits over the whole chunk.
   */
  private async separateFigures(
    logits: OrtTensor,
    onDevice: boolean,
    tokenIds: ArrayLike<number>,
    scored: readonly number[],
    chunkStart: number,
    length: number,
  ): Promise<ChunkFigures> {
    const { reducer, runtime } = this.parts;
    const firstRow = onDevice ? 0 : scored[0] - chunkStart;
    const rowCount = onDevice ? length : scored[scored.length - 1] - chunkStart + 1 - firstRow;
    let rows = logits;
    try {
      if (!onDevice) {
        this.counters.bytesReadBack += byteSizeOf(logits);
        if (rowCount !== length) {
          const data = logits.data as OrtTensorData;
          rows = new runtime.Tensor(logits.type as OrtTensorType, data.subarray(firstRow * this.vocabSize, (firstRow + rowCount) * this.vocabSize) as OrtTensorData, [1, rowCount, this.vocabSize]);
        }
      }
      const targets = new BigInt64Array(rowCount);
      for (let i = 0; i < rowCount; i++) targets[i] = BigInt(tokenIds[chunkStart + firstRow + i + 1]);
      const reduced = await reducer.reduce(rows, targets);
      this.counters.bytesReadBack += FIGURE_ARRAYS * FLOAT32_BYTES * rowCount;
      const indexOfPosition = new Int32Array(length).fill(-1);
      for (let i = 0; i < rowCount; i++) indexOfPosition[firstRow + i] = i;
      return { reduced, indexOfPosition };
    } finally {
      // A pre-allocated device buffer is reused by the next chunk and destroyed at the end.
      if (!onDevice) logits.dispose();
    }
  }

  /** An empty cache: appended to in place when the graph gives each run's new rows, else the present.* outputs carried over. */
  private newCache(capacity: number): KvCache {
    const { Tensor } = this.parts.runtime;
    return this.kvCacheMode === 'append-only' ? new AppendOnlyCache(this.cacheLinks, Tensor, capacity) : new PresentTensorCache(this.cacheLinks, Tensor);
  }

  private chunkInputs(tokenIds: ArrayLike<number>, start: number, length: number): Record<string, OrtTensor> {
    return sequenceInputs(this.parts.runtime.Tensor, this.inputNames, this.idType, tokenIds, start, length, this.parts.positionOffset);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    // Let a running score() finish its chunk before the sessions go.
    await serialized(async () => {
      this.dropPrefixCache();
      await this.parts.reducer.release();
      await this.parts.release();
    });
  }
}

