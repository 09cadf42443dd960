/**
 * LogprobEngine on a transformers.js causal LM. transformers.js loads the model (hub or local
 * folder, dtype → ONNX file, execution provider); the engine then runs the model's ONNX session
 * itself, in chunks that carry the KV cache, and reduces each chunk's logits to three floats per
 * position in a second session on the same device (reduction.ts). Runs unchanged in Node
 * (onnxruntime-node) and in a browser worker (onnxruntime-web, WASM or WebGPU).
 *
 * Where the logits live:
 *  - onnxruntime-web + WebGPU: the model writes each chunk's logits into a GPUBuffer the engine
 *    pre-allocated and passes as the `logits` fetch; the reduction session reads that buffer, and
 *    only the [1, S] figures are downloaded. (transformers.js v4 overwrites
 *    `session_options.preferredOutputLocation` on WebGPU with its own present.* map, so asking for
 *    `logits: 'gpu-buffer'` at load time does not survive; a pre-allocated output does.)
 *  - everywhere else (CPU, WASM, onnxruntime-node's CUDA/WebGPU, which cannot hand out device
 *    buffers): logits come back to the CPU chunk by chunk and are reduced on the CPU; chunks are
 *    sized so a chunk's logits stay under `maxLogitsBytesPerChunk`.
 */
import { AutoModelForCausalLM, Tensor as TransformersTensor, env, type DataType, type DeviceType, type PreTrainedModel } from '@huggingface/transformers';
import { LogitReducer } from './reduction';
import {
  GPU_BUFFER_USAGE,
  disposeTensors,
  typedArrayFor,
  type GpuBufferLike,
  type GpuDeviceLike,
  type OrtExecutionProvider,
  type OrtRuntime,
  type OrtSession,
  type OrtSessionFactory,
  type OrtTensor,
  type OrtTensorConstructor,
  type OrtTensorType,
  type OrtValueMetadata,
} from './ort-types';
import { contextNeeded, emptyFigures, throwIfAborted, validateRanges, validateTokenIds } from './ranges';
import { ContextLimitError, type LogprobEngine, type ScoreOptions, type TokenFigures, type TokenRange } from './types';

export const DEFAULT_CHUNK_SIZE = 512;
/** CPU/WASM default: a chunk's float32 logits stay under 64 MiB (≈ 110 positions of a 150k vocabulary). */
export const DEFAULT_MAX_LOGITS_BYTES_PER_CHUNK = 64 * 1024 * 1024;
const FLOAT32_BYTES = 4;

/** Model types whose position ids start at 1 (as transformers.js' decoder_forward does). */
const ONE_BASED_POSITION_MODEL_TYPES = new Set(['paligemma', 'gemma3_text', 'gemma3']);

type FromPretrainedOptions = NonNullable<Parameters<typeof AutoModelForCausalLM.from_pretrained>[1]>;

export interface TransformersEngineOptions {
  /** Hub model id (`onnx-community/Qwen2.5-0.5B-Instruct`), or a folder name under `localModelPath`. */
  modelId: string;
  /**
   * Load from this local root only: for the duration of the load, transformers.js' global
   * `env.localModelPath` is set to it and remote models are disabled (then restored).
   */
  localModelPath?: string;
  /** Which ONNX file transformers.js picks: fp32 → model.onnx, fp16, q8 → model_quantized.onnx, q4 … */
  dtype: DataType;
  /** `cpu` (Node), `wasm` or `webgpu` (browser), …; transformers.js' default when absent. */
  device?: DeviceType;
  /** Tokens per forward pass (default 512); lowered further when a chunk's logits would exceed the buffer limit. */
  chunkSize?: number;
  /** Upper bound on one chunk's float32 logits in bytes (CPU/WASM default 64 MiB; WebGPU default: the device's buffer limits). */
  maxLogitsBytesPerChunk?: number;
  /** transformers.js' loading progress callback (file downloads). */
  onLoadProgress?: FromPretrainedOptions['progress_callback'];
}

export interface TransformersEngine extends LogprobEngine {
  readonly modelId: string;
  readonly vocabSize: number;
  /** `device`: logits stay on the GPU and are reduced there; `cpu`: they are read back per chunk. */
  readonly logitsPlacement: 'device' | 'cpu';
  /** The chunk length a score() call with this requested chunk size will use. */
  effectiveChunkSize(requested?: number): number;
}

/** Loads a causal LM with transformers.js and wraps it as an engine; dispose() releases its sessions. */
export async function createTransformersEngine(options: TransformersEngineOptions): Promise<TransformersEngine> {
  const model = await loadCausalLm(options);
  try {
    return await engineFromModel(model, { ...options, ownsModel: true });
  } catch (error) {
    await model.dispose();
    throw error;
  }
}

async function loadCausalLm(options: TransformersEngineOptions): Promise<PreTrainedModel> {
  const saved = { allowLocalModels: env.allowLocalModels, allowRemoteModels: env.allowRemoteModels, localModelPath: env.localModelPath };
  if (options.localModelPath !== undefined) {
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.localModelPath = options.localModelPath;
  }
  try {
    return await AutoModelForCausalLM.from_pretrained(options.modelId, {
      dtype: options.dtype,
      ...(options.device !== undefined ? { device: options.device } : {}),
      ...(options.onLoadProgress ? { progress_callback: options.onLoadProgress } : {}),
    });
  } finally {
    if (options.localModelPath !== undefined) Object.assign(env, saved);
  }
}

export interface EngineFromModelOptions {
  modelId: string;
  chunkSize?: number;
  maxLogitsBytesPerChunk?: number;
  /** Whether dispose() also disposes the transformers.js model (true when the engine loaded it). */
  ownsModel?: boolean;
}

/** Wraps a causal LM already loaded by transformers.js (decoder-only: one `model` session). */
export async function engineFromModel(model: PreTrainedModel, options: EngineFromModelOptions): Promise<TransformersEngine> {
  const session = model.sessions.model as (OrtSession & { config?: { device?: string; dtype?: string } }) | undefined;
  if (!session || typeof session.run !== 'function') {
    throw new Error(`${options.modelId}: transformers.js loaded no single "model" session (sessions: ${Object.keys(model.sessions).join(', ')}); only decoder-only causal LMs are supported`);
  }
  cacheLinksOf(session, options.modelId); // fail on an unsupported graph before creating anything
  const runtime = ortRuntimeOf(session);
  const config = model.config as unknown as Record<string, unknown>;
  const device = session.config?.device ?? 'cpu';
  const dtype = session.config?.dtype ?? 'unknown';
  const logits = outputMetadata(session, 'logits');
  const vocabSize = numericDim(logits.shape?.[2]) ?? numericConfig(config, 'vocab_size');
  if (vocabSize === null) throw new Error(`${options.modelId}: neither the logits output shape nor config.vocab_size gives the vocabulary size`);
  const logitsType = logits.type === 'float16' ? 'float16' : 'float32';

  const onDevice = device === 'webgpu' && runtime.name === 'onnxruntime-web' && runtime.webgpuEnv?.device !== undefined;
  const gpuDevice = onDevice ? await runtime.webgpuEnv!.device! : null;
  const reductionProviders: OrtExecutionProvider[] = onDevice ? ['webgpu'] : device === 'wasm' ? ['wasm'] : ['cpu'];
  const reducer = await LogitReducer.create(runtime.sessionFactory, runtime.Tensor, { vocabSize, logitsType, executionProviders: reductionProviders });
  if (onDevice && reducer.Tensor.fromGpuBuffer === undefined) {
    await reducer.release();
    throw new Error(`${options.modelId}: the WebGPU runtime's Tensor has no fromGpuBuffer`);
  }

  const maxContext =
    numericConfig(config, 'max_position_embeddings') ?? numericConfig(config, 'n_positions') ?? numericConfig(config, 'n_ctx') ?? Number.POSITIVE_INFINITY;
  const modelType = typeof config.model_type === 'string' ? config.model_type : '';
  return engineFromParts({
    modelId: options.modelId,
    description: `transformers.js/${runtime.name}/${device}/${dtype}`,
    session,
    // From here on, tensors are made with the runtime's own class (see LogitReducer.create).
    runtime: { ...runtime, Tensor: reducer.Tensor },
    reducer,
    vocabSize,
    logitsType,
    maxContext,
    positionOffset: ONE_BASED_POSITION_MODEL_TYPES.has(modelType) ? 1 : 0,
    gpuDevice,
    chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
    maxLogitsBytesPerChunk: options.maxLogitsBytesPerChunk ?? null,
    release: options.ownsModel ? () => model.dispose().then(() => undefined) : () => Promise.resolve(),
  });
}

/**
 * The onnxruntime transformers.js loaded, taken from one of its sessions: `InferenceSession.create`
 * is a static of the session's class, and transformers.js' Tensor wraps an onnxruntime Tensor.
 */
export function ortRuntimeOf(session: OrtSession): OrtRuntime {
  const sessionFactory = session.constructor as unknown as Partial<OrtSessionFactory>;
  if (typeof sessionFactory.create !== 'function') throw new Error('cannot find InferenceSession.create on the model session');
  const Tensor = new TransformersTensor('int64', new BigInt64Array(1), [1]).ort_tensor.constructor as unknown as OrtTensorConstructor;
  const onnxEnv = (env.backends.onnx ?? {}) as { versions?: Record<string, string | undefined>; webgpu?: OrtRuntime['webgpuEnv'] };
  const versions = onnxEnv.versions ?? {};
  const name = versions.web ? 'onnxruntime-web' : versions.node ? 'onnxruntime-node' : 'onnxruntime';
  return { sessionFactory: sessionFactory as OrtSessionFactory, Tensor, name, webgpuEnv: onnxEnv.webgpu ?? null };
}

function outputMetadata(session: OrtSession, name: string): OrtValueMetadata {
  const metadata = session.outputMetadata.find((output) => output.name === name);
  if (!metadata) throw new Error(`the model session has no "${name}" output (outputs: ${session.outputNames.join(', ')})`);
  return metadata;
}

const numericDim = (dim: number | string | undefined): number | null => (typeof dim === 'number' && dim > 0 ? dim : null);

function numericConfig(config: Record<string, unknown>, key: string): number | null {
  const value = config[key];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}

/** A cache input and the output that holds its next value (past_key_values.0.key ↔ present.0.key). */
interface CacheLink {
  past: OrtValueMetadata;
  present: string;
}

function presentNameFor(pastName: string): string | null {
  if (pastName.startsWith('past_key_values.')) return `present.${pastName.slice('past_key_values.'.length)}`;
  if (pastName.startsWith('past_')) return `present_${pastName.slice('past_'.length)}`;
  return null;
}

/** Checks that the engine can feed every input of the graph and pairs each cache input with its output. */
function cacheLinksOf(session: OrtSession, modelId: string): CacheLink[] {
  if (!session.inputNames.includes('input_ids')) throw new Error(`${modelId}: the ONNX graph has no input_ids input`);
  const links: CacheLink[] = [];
  for (const input of session.inputMetadata) {
    if (SEQUENCE_INPUTS.has(input.name)) continue;
    const present = presentNameFor(input.name);
    if (present === null) throw new Error(`${modelId}: the ONNX graph has an input "${input.name}" the scoring engine cannot feed`);
    if (!session.outputNames.includes(present)) throw new Error(`${modelId}: cache input "${input.name}" has no "${present}" output to carry forward`);
    links.push({ past: input, present });
  }
  return links;
}

const SEQUENCE_INPUTS = new Set(['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep', 'use_cache_branch']);

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
  /** Releases the model session(s). */
  release(): Promise<void>;
}

export function engineFromParts(parts: EngineParts): TransformersEngine {
  return new TransformersLogprobEngine(parts);
}

class TransformersLogprobEngine implements TransformersEngine {
  readonly modelId: string;
  readonly description: string;
  readonly maxContext: number;
  readonly vocabSize: number;
  readonly logitsPlacement: 'device' | 'cpu';
  private readonly cacheLinks: CacheLink[];
  private readonly inputNames: ReadonlySet<string>;
  private readonly idType: 'int64' | 'int32';
  private disposed = false;

  constructor(private readonly parts: EngineParts) {
    this.modelId = parts.modelId;
    this.description = parts.description;
    this.maxContext = parts.maxContext;
    this.vocabSize = parts.vocabSize;
    this.logitsPlacement = parts.gpuDevice ? 'device' : 'cpu';
    this.inputNames = new Set(parts.session.inputNames);
    this.cacheLinks = cacheLinksOf(parts.session, parts.modelId);
    const idsType = parts.session.inputMetadata.find((input) => input.name === 'input_ids')?.type;
    this.idType = idsType === 'int32' ? 'int32' : 'int64';
  }

  effectiveChunkSize(requested?: number): number {
    const chunk = requested ?? this.parts.chunkSize;
    if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunk}`);
    const bytesPerPosition = this.vocabSize * FLOAT32_BYTES;
    let byteLimit = this.parts.maxLogitsBytesPerChunk ?? (this.parts.gpuDevice ? Number.POSITIVE_INFINITY : DEFAULT_MAX_LOGITS_BYTES_PER_CHUNK);
    if (this.parts.gpuDevice) {
      const { maxBufferSize, maxStorageBufferBindingSize } = this.parts.gpuDevice.limits;
      byteLimit = Math.min(byteLimit, maxBufferSize, maxStorageBufferBindingSize);
    }
    return Math.max(1, Math.min(chunk, Math.floor(byteLimit / bytesPerPosition)));
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
      await this.forward(tokenIds, ranges, figures, forwardLength, chunkSize, options);
      return figures;
    });
  }

  private async forward(
    tokenIds: ArrayLike<number>,
    ranges: readonly TokenRange[],
    figures: TokenFigures[],
    forwardLength: number,
    chunkSize: number,
    { onProgress, signal }: ScoreOptions,
  ): Promise<void> {
    const { session, reducer } = this.parts;
    const deviceLogits = this.parts.gpuDevice ? new DeviceLogitsBuffers(this.parts.gpuDevice, this.parts.runtime.Tensor, this.vocabSize, this.parts.logitsType) : null;
    let past = this.emptyCache();
    try {
      for (let start = 0; start < forwardLength; start += chunkSize) {
        throwIfAborted(signal);
        if (this.disposed) throw new Error(`${this.modelId}: the engine was disposed while scoring`);
        const length = Math.min(chunkSize, forwardLength - start);
        const end = start + length;
        // Logit position p predicts token p + 1: range [s, e) needs positions s − 1 … e − 2.
        const scored = ranges.some((range) => range.end > range.start && range.start - 1 < end && range.end - 1 > start);

        const inputs = this.chunkInputs(tokenIds, start, length);
        const presentNames = this.cacheLinks.map((link) => link.present);
        let fetches: readonly string[] | Record<string, OrtTensor | null>;
        if (deviceLogits) {
          fetches = { logits: deviceLogits.tensorFor(length), ...Object.fromEntries(presentNames.map((name) => [name, null])) };
        } else {
          fetches = scored ? ['logits', ...presentNames] : presentNames;
        }
        let outputs: Record<string, OrtTensor>;
        try {
          outputs = await session.run({ ...inputs, ...past }, fetches);
        } finally {
          disposeTensors(Object.values(inputs));
        }
        const previous = past;
        past = Object.fromEntries(this.cacheLinks.map((link) => [link.past.name, outputs[link.present]]));
        disposeTensors(Object.values(previous));

        const logits = outputs.logits;
        try {
          if (scored) {
            const targets = new BigInt64Array(length);
            for (let i = 0; i < length; i++) targets[i] = BigInt(tokenIds[start + i + 1]);
            const reduced = await reducer.reduce(logits, targets);
            ranges.forEach((range, index) => {
              const from = Math.max(range.start - 1, start);
              const to = Math.min(range.end - 1, end);
              const out = figures[index];
              for (let position = from; position < to; position++) {
                out.logprob[position + 1 - range.start] = reduced.logprob[position - start];
                out.entropy[position + 1 - range.start] = reduced.entropy[position - start];
                out.topkMean[position + 1 - range.start] = reduced.topkMean[position - start];
              }
            });
          }
        } finally {
          // A pre-allocated device buffer is reused by the next chunk and destroyed at the end.
          if (!deviceLogits) logits?.dispose();
        }
        onProgress?.({ tokensDone: end, tokensTotal: forwardLength });
      }
    } finally {
      disposeTensors(Object.values(past));
      deviceLogits?.destroy();
    }
  }

  /** input_ids, attention_mask (ones over past + chunk), position_ids and the flags the graph takes. */
  private chunkInputs(tokenIds: ArrayLike<number>, start: number, length: number): Record<string, OrtTensor> {
    const { Tensor } = this.parts.runtime;
    const inputs: Record<string, OrtTensor> = {};
    inputs.input_ids = this.idTensor(length, (i) => tokenIds[start + i]);
    if (this.inputNames.has('attention_mask')) inputs.attention_mask = this.idTensor(start + length, () => 1);
    if (this.inputNames.has('position_ids')) inputs.position_ids = this.idTensor(length, (i) => start + i + this.parts.positionOffset);
    // 0 = logits for every position of the chunk (transformers.js' scoring setting).
    if (this.inputNames.has('num_logits_to_keep')) inputs.num_logits_to_keep = new Tensor('int64', new BigInt64Array([0n]), []);
    if (this.inputNames.has('use_cache_branch')) inputs.use_cache_branch = new Tensor('bool', new Uint8Array([start > 0 ? 1 : 0]), [1]);
    return inputs;
  }

  private idTensor(length: number, valueAt: (index: number) => number): OrtTensor {
    const { Tensor } = this.parts.runtime;
    if (this.idType === 'int32') {
      const data = new Int32Array(length);
      for (let i = 0; i < length; i++) data[i] = valueAt(i);
      return new Tensor('int32', data, [1, length]);
    }
    const data = new BigInt64Array(length);
    for (let i = 0; i < length; i++) data[i] = BigInt(valueAt(i));
    return new Tensor('int64', data, [1, length]);
  }

  /** Zero-length past tensors shaped from the session's input metadata, as transformers.js builds them. */
  private emptyCache(): Record<string, OrtTensor> {
    const { Tensor } = this.parts.runtime;
    return Object.fromEntries(
      this.cacheLinks.map(({ past }) => {
        // batch_size → 1; past_sequence_length and any other free dimension → 0.
        const shape = (past.shape ?? []).map((dim) => (typeof dim === 'number' ? dim : dim === 'batch_size' ? 1 : 0));
        const size = shape.reduce((product, dim) => product * dim, 1);
        const type = (past.type ?? 'float32') as OrtTensorType;
        return [past.name, new Tensor(type, typedArrayFor(type, size), shape)];
      }),
    );
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    // Let a running score() finish its chunk before the sessions go.
    await serialized(async () => {
      await this.parts.reducer.release();
      await this.parts.release();
    });
  }
}

/** One GPUBuffer per chunk length (the last chunk is usually shorter), wrapped as the model's logits output. */
class DeviceLogitsBuffers {
  private readonly byLength = new Map<number, { buffer: GpuBufferLike; tensor: OrtTensor }>();

  constructor(
    private readonly device: GpuDeviceLike,
    private readonly Tensor: OrtTensorConstructor,
    private readonly vocabSize: number,
    private readonly logitsType: 'float32' | 'float16',
  ) {}

  tensorFor(length: number): OrtTensor {
    let entry = this.byLength.get(length);
    if (!entry) {
      const bytes = length * this.vocabSize * (this.logitsType === 'float16' ? 2 : 4);
      const buffer = this.device.createBuffer({
        size: Math.ceil(bytes / 16) * 16,
        usage: GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_SRC | GPU_BUFFER_USAGE.COPY_DST,
      });
      const tensor = this.Tensor.fromGpuBuffer!(buffer, { dataType: this.logitsType, dims: [1, length, this.vocabSize] });
      entry = { buffer, tensor };
      this.byLength.set(length, entry);
    }
    return entry.tensor;
  }

  destroy(): void {
    for (const { buffer, tensor } of this.byLength.values()) {
      tensor.dispose();
      buffer.destroy();
    }
    this.byLength.clear();
  }
}
