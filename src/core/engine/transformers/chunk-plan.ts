/**
 * How a sequence is cut into forward passes, sized by what each pass actually holds (issue 15,
 * item 3). The big tensor of a pass is its float32 logits, rows × vocabulary: the rows the LM head
 * computes — the scored rows where the head is cut, every position of the chunk otherwise. Where
 * they live sets the budget:
 *
 *  - in the model's graph (fused reduction, CPU / WASM): only a few floats per scored row leave
 *    the runtime, so the bound is the runtime's own memory while the head's rows × V logits and
 *    the reduction's temporaries over them exist (about three such tensors at once). Native memory
 *    (onnxruntime-node) takes 512 MiB per tensor (883 rows of a 152k vocabulary: a 512-token chunk
 *    is never cut); WASM's heap is at most 4 GiB with both models' weights in it, so 256 MiB (441 rows);
 *  - WebGPU: one GPU buffer holds them: the device's maxBufferSize / maxStorageBufferBindingSize;
 *  - read back to JavaScript (the separate reduction session on CPU / WASM): 64 MiB, copied per chunk.
 *
 * Long contexts also shorten chunks so that one chunk's attention scores ([heads, chunk,
 * past + chunk] floats) stay under their own budget. The cut is a function of the positions only,
 * never of the figures, and figures do not depend on it (realformat-chunking.test.ts).
 */
import { scoredPositionsIn } from './prefix-cache';
import type { TokenRange } from '../types';

const FLOAT32_BYTES = 4;
const MIB = 1024 * 1024;
/** Logits read back into JavaScript per chunk (separate reduction session, CPU / WASM). */
export const READ_BACK_LOGITS_BYTES = 64 * MIB;
/** One rows × V float32 tensor inside an onnxruntime-node graph. */
export const NATIVE_IN_GRAPH_LOGITS_BYTES = 512 * MIB;
/** One rows × V float32 tensor inside the WASM heap (4 GiB at most, weights included). */
export const WASM_IN_GRAPH_LOGITS_BYTES = 256 * MIB;
/** Long contexts shorten chunks to fit the attention budget, but not below this (tiny chunks run slowly). */
const MIN_CHUNK_UNDER_ATTENTION_BUDGET = 64;

/** Where a chunk's logits are computed and kept. */
export interface LogitsPlace {
  /** `maxLogitsBytesPerChunk` as the caller set it; null: the place's default. */
  requestedBytes: number | null;
  /** WebGPU: the device's buffer limits (logits in a GPU buffer); null: CPU or WASM. */
  gpuLimits: { readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number } | null;
  /** `onnxruntime-node` (native memory) or `onnxruntime-web` (WASM heap). */
  runtimeName: string;
  /** The reduction runs inside the model's graph: logits never leave the runtime. */
  reductionInGraph: boolean;
}

/** Bytes of float32 logits one forward pass may compute (see the file's comment). */
export function logitsByteBudget(place: LogitsPlace): number {
  if (place.gpuLimits) return Math.min(place.requestedBytes ?? Number.POSITIVE_INFINITY, place.gpuLimits.maxBufferSize, place.gpuLimits.maxStorageBufferBindingSize);
  if (place.requestedBytes !== null) return place.requestedBytes;
  if (!place.reductionInGraph) return READ_BACK_LOGITS_BYTES;
  return place.runtimeName === 'onnxruntime-node' ? NATIVE_IN_GRAPH_LOGITS_BYTES : WASM_IN_GRAPH_LOGITS_BYTES;
}

/** Rows of float32 logits over `vocabSize` entries that fit `bytes` (at least one). */
export function logitsRowBudget(bytes: number, vocabSize: number): number {
  return Math.max(1, Math.floor(bytes / (vocabSize * FLOAT32_BYTES)));
}

/** What bounds a sequence's chunks. */
export interface ChunkLimits {
  /** Tokens per pass asked for. */
  chunkSize: number;
  /** The most rows of logits one pass computes (logitsRowBudget). */
  logitRowsPerChunk: number;
  /** The head is cut to the scored rows: the row budget bounds those, not the chunk. */
  scoredRowsOnly: boolean;
  /** One chunk's attention scores per layer stay under this many bytes; null: no cap. */
  attentionBytes: number | null;
  /** Query heads (each holds a [chunk, past + chunk] score matrix); null: unknown, no cap. */
  attentionHeads: number | null;
}

/** One forward pass: `length` tokens from `start`, reducing the `scored` positions (absolute). */
export interface Chunk {
  start: number;
  length: number;
  scored: number[];
}

/** The chunk that starts at `start` of a sequence forwarded up to `forwardLength`. */
export function nextChunk(start: number, forwardLength: number, ranges: readonly TokenRange[], limits: ChunkLimits): Chunk {
  let length = Math.min(limits.chunkSize, forwardLength - start);
  if (!limits.scoredRowsOnly) length = Math.min(length, limits.logitRowsPerChunk);
  if (limits.attentionBytes && limits.attentionHeads !== null) {
    // length · (start + length) query-key pairs per head must fit: the positive root of the quadratic.
    const pairs = limits.attentionBytes / (limits.attentionHeads * FLOAT32_BYTES);
    const fitting = Math.floor((-start + Math.sqrt(start * start + 4 * pairs)) / 2);
    length = Math.min(length, Math.max(MIN_CHUNK_UNDER_ATTENTION_BUDGET, fitting));
  }
  length = Math.max(1, length);
  let scored = scoredPositionsIn(ranges, start, start + length);
  if (limits.scoredRowsOnly && scored.length > limits.logitRowsPerChunk) {
    // A cut head's logits are [scored rows, V]: the chunk ends before the first row over the budget.
    length = scored[limits.logitRowsPerChunk] - start;
    scored = scored.slice(0, limits.logitRowsPerChunk);
  }
  return { start, length, scored };
}

/** Every chunk of a sequence from `start` (after a reused prefix) to `forwardLength`. */
export function chunkPlan(start: number, forwardLength: number, ranges: readonly TokenRange[], limits: ChunkLimits): Chunk[] {
  const chunks: Chunk[] = [];
  for (let position = start; position < forwardLength; ) {
    const chunk = nextChunk(position, forwardLength, ranges, limits);
    chunks.push(chunk);
    position += chunk.length;
  }
  return chunks;
}
