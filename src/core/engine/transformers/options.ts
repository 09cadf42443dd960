/** The transformers.js engine's options and what it tells about itself (see ./engine.ts). */
import type { AutoModelForCausalLM, DataType, DeviceType } from '@huggingface/transformers';
import type { EngineStats, ScoreOptions, ScoringEngine, SequenceToScore, TokenFigures } from '../types';
import type { HubLocation, ModelFileReader } from '../model-location';

export const DEFAULT_CHUNK_SIZE = 512;
/**
 * A chunk's attention scores ([heads, chunk, past + chunk] floats, a few such tensors per layer)
 * stay under this: at 32k tokens of context, a 512-token chunk of a 4-head model would otherwise
 * allocate 268 MB per score tensor, and peak memory would grow with the trajectory's length.
 */
export const DEFAULT_MAX_ATTENTION_BYTES_PER_CHUNK = 64 * 1024 * 1024;

type FromPretrainedOptions = NonNullable<Parameters<typeof AutoModelForCausalLM.from_pretrained>[1]>;

/**
 * `auto`: on CPU and WASM the reduction runs inside the model's graph when the model file can be
 * read again; `separate`: always in a second session (logits read back on CPU/WASM).
 */
export type ReductionMode = 'auto' | 'separate';

export interface TransformersEngineOptions {
  /** Hub model id (`onnx-community/Qwen2.5-0.5B-Instruct`), or a folder name under `localModelPath`. */
  modelId: string;
  /** Load from this local root only; absent: from the hub only (see withModelLocation). */
  localModelPath?: string;
  /** The hub a hub id is read from; absent: huggingface.co. */
  hub?: HubLocation;
  /**
   * How the host reads the ONNX file back for the in-graph reduction (Node: the folder or
   * transformers.js' file cache; browser: the served folder or Cache Storage). null: no fused graph.
   */
  files: ModelFileReader | null;
  /** Which ONNX file transformers.js picks: fp32 → model.onnx, fp16, q8 → model_quantized.onnx, q4 … */
  dtype: DataType;
  /** `cpu` (Node), `wasm` or `webgpu` (browser), …; transformers.js' default when absent. */
  device?: DeviceType;
  /** Tokens per forward pass (default 512); a chunk ends early when the rows of logits it computes would exceed their budget. */
  chunkSize?: number;
  /**
   * Upper bound on the float32 logits one pass computes (rows × vocabulary × 4 bytes; the rows are
   * the scored ones where the LM head is cut). Default by where they live (chunk-plan.ts): 512 MiB
   * inside an onnxruntime-node graph, 256 MiB inside the WASM heap, 64 MiB read back to JavaScript;
   * WebGPU: the device's buffer limits (never above them).
   */
  maxLogitsBytesPerChunk?: number;
  /** Upper bound on one chunk's attention scores per layer in bytes (default 64 MiB): long contexts get shorter chunks. */
  maxAttentionBytesPerChunk?: number;
  /** Where the logits are reduced (default `auto`). */
  reduction?: ReductionMode;
  /** transformers.js' loading progress callback (file downloads). */
  onLoadProgress?: FromPretrainedOptions['progress_callback'];
}

/**
 * The transformers.js engine: a ScoringEngine (what it reduces where, and how it carries the KV
 * cache: see ScoringEngine) with counters and prefix-sharing batches of its own.
 */
export interface TransformersEngine extends ScoringEngine {
  /** Counters since creation or `resetStats()` (tokens forwarded, bytes read back, …). */
  readonly stats: EngineStats;
  /** Most rows of logits one pass computes (the logits budget over the vocabulary); with a cut head these are scored rows, and chunks end there, not at a fixed length. */
  readonly scoredRowsPerChunk: number;
  resetStats(): void;
  scoreMany(sequences: readonly SequenceToScore[], options?: Omit<ScoreOptions, 'reusePrefix'>): Promise<TokenFigures[][]>;
}
