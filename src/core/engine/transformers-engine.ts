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
 *    session; chunks are sized so a chunk's logits stay under `maxLogitsBytesPerChunk`.
 *
 * The KV cache between chunks (kv-cache.ts): where the reduction is fused, the graph also gives
 * each run's new cache rows and the engine appends them to one buffer per cache tensor, sized once
 * for the sequence; otherwise the present.* outputs are fed back as they are (on WebGPU they stay
 * GPU buffers).
 *
 * Prefix reuse (`reusePrefix`, `scoreMany`): the KV cache at the end of one sequence is kept, and
 * the next sequence starts from the longest prefix they share (best-of-N trajectories share the
 * system prompt and policy text), with the figures of positions scored in both taken over.
 */
import { AutoModelForCausalLM, Tensor as TransformersTensor, env, type DataType, type DeviceType, type PreTrainedModel } from '@huggingface/transformers';
import {
  FUSED_REDUCTION_INPUTS,
  FUSED_REDUCTION_MIN_OPSET,
  FUSED_REDUCTION_OUTPUTS,
  LogitReducer,
  fuseReductionIntoModel,
  headCutOf,
  newCacheRowsName,
  type FusedReductionOptions,
  type HeadCut,
  type ReducedFigures,
} from './reduction';
import { defaultOpsetOf, graphNodes, initializerNames } from './graph-edit';
import {
  GPU_BUFFER_USAGE,
  disposeTensors,
  float32DataOf,
  type GpuBufferLike,
  type GpuDeviceLike,
  type OrtExecutionProvider,
  type OrtRuntime,
  type OrtSession,
  type OrtSessionFactory,
  type OrtTensor,
  type OrtTensorConstructor,
  type OrtTensorData,
  type OrtTensorType,
  type OrtValueMetadata,
} from './ort-types';
import { AppendOnlyCache, PresentTensorCache, byteSizeOf, emptyPast, hasNewCacheRows, type CacheLink, type KvCache } from './kv-cache';
import { contextNeeded, emptyFigures, throwIfAborted, validateRanges, validateTokenIds } from './ranges';
import {
  ContextLimitError,
  type EngineStats,
  type LogprobEngine,
  type ScoreOptions,
  type SequenceToScore,
  type TokenFigures,
  type TokenRange,
} from './types';

export const DEFAULT_CHUNK_SIZE = 512;
/** CPU/WASM default: a chunk's float32 logits stay under 64 MiB (≈ 110 positions of a 150k vocabulary). */
export const DEFAULT_MAX_LOGITS_BYTES_PER_CHUNK = 64 * 1024 * 1024;
/**
 * A chunk's attention scores ([heads, chunk, past + chunk] floats, a few such tensors per layer)
 * stay under this: at 32k tokens of context, a 512-token chunk of a 4-head model would otherwise
 * allocate 268 MB per score tensor, and peak memory would grow with the trajectory's length.
 */
export const DEFAULT_MAX_ATTENTION_BYTES_PER_CHUNK = 64 * 1024 * 1024;
const FLOAT32_BYTES = 4;
const FIGURE_ARRAYS = 3;

/** Model types whose position ids start at 1 (as transformers.js' decoder_forward does). */
const ONE_BASED_POSITION_MODEL_TYPES = new Set(['paligemma', 'gemma3_text', 'gemma3']);

type FromPretrainedOptions = NonNullable<Parameters<typeof AutoModelForCausalLM.from_pretrained>[1]>;

/**
 * `auto`: on CPU and WASM the reduction runs inside the model's graph when the model file can be
 * read again; `separate`: always in a second session (logits read back on CPU/WASM).
 */
export type ReductionMode = 'auto' | 'separate';

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
  /** Upper bound on one chunk's attention scores per layer in bytes (default 64 MiB): long contexts get shorter chunks. */
  maxAttentionBytesPerChunk?: number;
  /** Where the logits are reduced (default `auto`). */
  reduction?: ReductionMode;
  /** transformers.js' loading progress callback (file downloads). */
  onLoadProgress?: FromPretrainedOptions['progress_callback'];
}

export interface TransformersEngine extends LogprobEngine {
  readonly modelId: string;
  readonly vocabSize: number;
  /** `device`: logits stay on the device that computed them and are reduced there; `cpu`: they are read back per chunk. */
  readonly logitsPlacement: 'device' | 'cpu';
  /** `model-graph`: the reduction runs inside the model's session (CPU/WASM); `separate-session`: in a second session. */
  readonly reductionPlacement: 'model-graph' | 'separate-session';
  /**
   * `append-only`: the graph gives each run's new cache rows and the engine appends them to one
   * buffer per cache tensor (fused CPU/WASM graphs); `present-outputs`: each run's present.*
   * outputs are the next run's past inputs (WebGPU keeps them on the GPU).
   */
  readonly kvCacheMode: 'append-only' | 'present-outputs';
  /** `scored-only`: the LM head computes the logits of scored positions only (a cut fused graph); `every-position`: of every position of a chunk. */
  readonly logitRows: 'scored-only' | 'every-position';
  /** Counters since creation or `resetStats()` (tokens forwarded, bytes read back, …). */
  readonly stats: EngineStats;
  resetStats(): void;
  /** The chunk length a score() call with this requested chunk size will use (before the attention cap of long contexts). */
  effectiveChunkSize(requested?: number): number;
  scoreMany(sequences: readonly SequenceToScore[], options?: Omit<ScoreOptions, 'reusePrefix'>): Promise<TokenFigures[][]>;
  releasePrefixCache(): Promise<void>;
}

/** Loads a causal LM with transformers.js and wraps it as an engine; dispose() releases its sessions. */
export async function createTransformersEngine(options: TransformersEngineOptions): Promise<TransformersEngine> {
  const model = await loadCausalLm(options);
  try {
    return await engineFromModel(model, {
      ...options,
      ownsModel: true,
      readModelBytes: (dtype) => readModelFile(options, dtype),
    });
  } catch (error) {
    // The model session may already be gone (released for the fused one): the first error is the one to report.
    await model.dispose().catch(() => undefined);
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

/** transformers.js' file suffix for each dtype (onnx/model{suffix}.onnx). */
const ONNX_SUFFIX_BY_DTYPE: Readonly<Record<string, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/** transformers.js' own path joining: one slash between parts. */
function joinPath(...parts: string[]): string {
  return parts
    .map((part, index) => {
      let trimmed = index > 0 ? part.replace(/^\//, '') : part;
      if (index < parts.length - 1) trimmed = trimmed.replace(/\/$/, '');
      return trimmed;
    })
    .join('/');
}

type NodeFsPromises = { readFile(path: string): Promise<Uint8Array> };

/** node:fs/promises under Node (no import statement, so the browser bundle does not pull it in). */
function nodeFileSystem(): NodeFsPromises | null {
  const nodeProcess = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?(id: string): unknown } }).process;
  if (!nodeProcess?.versions?.node || typeof nodeProcess.getBuiltinModule !== 'function') return null;
  return (nodeProcess.getBuiltinModule('node:fs/promises') as NodeFsPromises | undefined) ?? null;
}

/**
 * The ONNX file transformers.js loaded, read again (the session it made cannot be extended): from
 * the local folder, transformers.js' file cache (Node) or its Cache Storage (browser). null when
 * it is not at hand (nothing is downloaded a second time).
 */
async function readModelFile(options: TransformersEngineOptions, dtype: string): Promise<Uint8Array | null> {
  const suffix = ONNX_SUFFIX_BY_DTYPE[dtype];
  if (suffix === undefined) return null;
  const relative = joinPath(options.modelId, 'onnx', `model${suffix}.onnx`);
  const fs = nodeFileSystem();
  if (fs) {
    const candidates =
      options.localModelPath !== undefined
        ? [joinPath(options.localModelPath, relative)]
        : [...(env.allowLocalModels && env.localModelPath ? [joinPath(env.localModelPath, relative)] : []), ...(env.cacheDir ? [joinPath(env.cacheDir, relative)] : [])];
    for (const path of candidates) {
      try {
        const bytes = await fs.readFile(path);
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch {
        // not there: try the next place
      }
    }
    return null;
  }
  try {
    if (options.localModelPath !== undefined) {
      // Served and dropped folders both answer through transformers.js' fetch (the worker wraps it).
      const response = await env.fetch(joinPath(options.localModelPath, relative));
      return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
    }
    if (typeof caches === 'undefined' || !env.useBrowserCache) return null;
    const remote = joinPath(env.remoteHost, env.remotePathTemplate.replaceAll('{model}', options.modelId).replaceAll('{revision}', 'main'), 'onnx', `model${suffix}.onnx`);
    const cached = await (await caches.open(env.cacheKey)).match(remote);
    return cached ? new Uint8Array(await cached.arrayBuffer()) : null;
  } catch {
    return null;
  }
}

/**
 * WASM threads for onnxruntime-web: one per core, less `reserveCores` (at least 1), when the page
 * is cross-origin isolated (SharedArrayBuffer needs it), else 1. Call before the first session is
 * created. Returns the count.
 */
export function configureWasmThreads(reserveCores = 0): number {
  const scope = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  const threads = scope.crossOriginIsolated === true ? Math.max(1, (scope.navigator?.hardwareConcurrency ?? 1) - reserveCores) : 1;
  const wasm = env.backends.onnx.wasm as { numThreads?: number } | undefined;
  if (wasm) wasm.numThreads = threads;
  return threads;
}

export interface EngineFromModelOptions {
  modelId: string;
  chunkSize?: number;
  maxLogitsBytesPerChunk?: number;
  maxAttentionBytesPerChunk?: number;
  reduction?: ReductionMode;
  /** Whether dispose() also disposes the transformers.js model (true when the engine loaded it). */
  ownsModel?: boolean;
  /** The bytes of the ONNX file the model session was made from (for the in-graph reduction); null when not at hand. */
  readModelBytes?: (dtype: string) => Promise<Uint8Array | null>;
}

/** Wraps a causal LM already loaded by transformers.js (decoder-only: one `model` session). */
export async function engineFromModel(model: PreTrainedModel, options: EngineFromModelOptions): Promise<TransformersEngine> {
  type ConfiguredSession = OrtSession & { config?: { device?: string; dtype?: string } };
  let session = model.sessions.model as ConfiguredSession | undefined;
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

  let fusedReduction = false;
  let headCut = false;
  const fusable = (device === 'cpu' && runtime.name === 'onnxruntime-node') || (device === 'wasm' && runtime.name === 'onnxruntime-web');
  if (fusable && options.reduction !== 'separate' && options.readModelBytes) {
    let fused: Awaited<ReturnType<typeof withFusedReduction<ConfiguredSession>>>;
    try {
      fused = await withFusedReduction(session, runtime.sessionFactory, reducer.Tensor, await options.readModelBytes(dtype), {
        vocabSize,
        logitsType,
        executionProviders: reductionProviders,
        cacheLinks: cacheLinksOf(session, options.modelId).map((link) => ({
          past: link.past.name,
          present: link.present,
          sequenceAxis: link.sequenceAxis,
          type: link.past.type ?? 'float32',
          rank: link.past.shape?.length ?? 4,
        })),
      });
    } catch (error) {
      await reducer.release();
      throw error;
    }
    if (fused.session !== session) {
      fused.session.config = session.config;
      // transformers.js' model keeps releasing what is in its sessions map (model.dispose()).
      (model.sessions as Record<string, unknown>).model = fused.session;
      session = fused.session;
      fusedReduction = fused.fused;
      headCut = fused.headCut;
    }
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
    maxAttentionBytesPerChunk: options.maxAttentionBytesPerChunk ?? DEFAULT_MAX_ATTENTION_BYTES_PER_CHUNK,
    fusedReduction,
    headCut,
    attentionHeads: numericConfig(config, 'num_attention_heads') ?? numericConfig(config, 'n_head'),
    release: options.ownsModel ? () => model.dispose().then(() => undefined) : () => Promise.resolve(),
  });
}

/**
 * The model session re-created from its file with the reduction appended to its graph, or the
 * original session when that is not possible (no bytes, opset < 13, the runtime refuses it). The
 * original is released first so that two copies of the weights never coexist (WASM has 4 GiB).
 * The LM head is cut to the scored rows where the graph allows it (headCutOf), checked by one
 * two-token run; when that graph fails, the fused graph without the cut is loaded, and when the
 * fused graph fails too, the plain graph again, from the same bytes.
 */
export async function withFusedReduction<T extends OrtSession>(
  session: T,
  sessionFactory: OrtSessionFactory,
  Tensor: OrtTensorConstructor,
  modelBytes: Uint8Array | null,
  options: FusedReductionOptions & { executionProviders: OrtExecutionProvider[] },
): Promise<{ session: T; fused: boolean; headCut: boolean }> {
  const unchanged = { session, fused: false, headCut: false };
  if (modelBytes === null) return unchanged;
  const opset = defaultOpsetOf(modelBytes);
  if (opset === null || opset < FUSED_REDUCTION_MIN_OPSET) return unchanged;
  if (session.inputNames.some((name) => name.startsWith('pa_reduction'))) return unchanged;
  const sessionOptions = { executionProviders: options.executionProviders, logSeverityLevel: 3 } as const;
  let headCut: HeadCut | null = null;
  try {
    headCut = headCutOf(graphNodes(modelBytes), initializerNames(modelBytes), options.logitsName);
  } catch {
    // not a graph we can read: no cut
  }
  const cacheInputs = session.inputMetadata.filter((input) => presentNameFor(input.name) !== null);
  await session.release();
  for (const cut of headCut ? [headCut, null] : [null]) {
    let fused: T | null = null;
    try {
      fused = (await sessionFactory.create(fuseReductionIntoModel(modelBytes, { ...options, headCut: cut }), sessionOptions)) as T;
      const complete = Object.values(FUSED_REDUCTION_OUTPUTS).every((name) => fused!.outputNames.includes(name));
      if (complete && (cut === null || (await fusedGraphRuns(fused, Tensor, cacheInputs)))) return { session: fused, fused: true, headCut: cut !== null };
    } catch {
      // the runtime refused the graph: try the next one
    }
    await fused?.release();
  }
  return { session: (await sessionFactory.create(modelBytes, sessionOptions)) as T, fused: false, headCut: false };
}

/**
 * A chunk's sequence inputs: input_ids (tokens start … start + length), attention_mask (ones over
 * past + chunk), position_ids and the flags the graph takes (`inputNames`).
 */
function sequenceInputs(
  Tensor: OrtTensorConstructor,
  inputNames: ReadonlySet<string>,
  idType: 'int64' | 'int32',
  tokenIds: ArrayLike<number>,
  start: number,
  length: number,
  positionOffset: number,
): Record<string, OrtTensor> {
  const ids = (count: number, valueAt: (index: number) => number): OrtTensor => {
    if (idType === 'int32') return new Tensor('int32', Int32Array.from({ length: count }, (_, i) => valueAt(i)), [1, count]);
    return new Tensor('int64', BigInt64Array.from({ length: count }, (_, i) => BigInt(valueAt(i))), [1, count]);
  };
  const inputs: Record<string, OrtTensor> = { input_ids: ids(length, (i) => tokenIds[start + i]) };
  if (inputNames.has('attention_mask')) inputs.attention_mask = ids(start + length, () => 1);
  if (inputNames.has('position_ids')) inputs.position_ids = ids(length, (i) => start + i + positionOffset);
  // 0 = logits for every position of the chunk (transformers.js' scoring setting).
  if (inputNames.has('num_logits_to_keep')) inputs.num_logits_to_keep = new Tensor('int64', new BigInt64Array([0n]), []);
  if (inputNames.has('use_cache_branch')) inputs.use_cache_branch = new Tensor('bool', new Uint8Array([start > 0 ? 1 : 0]), [1]);
  return inputs;
}

const idTypeOf = (session: OrtSession): 'int64' | 'int32' => (session.inputMetadata.find((input) => input.name === 'input_ids')?.type === 'int32' ? 'int32' : 'int64');

/**
 * One run of the fused graph on two tokens from an empty cache, reducing both positions: a cut
 * LM head whose shapes do not work out fails here (or gives figures of the wrong shape), not in
 * the middle of a job.
 */
async function fusedGraphRuns(session: OrtSession, Tensor: OrtTensorConstructor, cacheInputs: readonly OrtValueMetadata[]): Promise<boolean> {
  const feeds: Record<string, OrtTensor> = {
    ...sequenceInputs(Tensor, new Set(session.inputNames), idTypeOf(session), [0, 0], 0, 2, 0),
    [FUSED_REDUCTION_INPUTS.positions]: new Tensor('int64', BigInt64Array.from([0n, 1n]), [2]),
    [FUSED_REDUCTION_INPUTS.targets]: new Tensor('int64', BigInt64Array.from([0n, 0n]), [1, 2]),
    ...emptyPast(cacheInputs.map((past) => ({ past, present: '', sequenceAxis: sequenceAxisOf(past) })), Tensor),
  };
  let outputs: Record<string, OrtTensor> = {};
  try {
    outputs = await session.run(feeds, Object.values(FUSED_REDUCTION_OUTPUTS));
    return Object.values(FUSED_REDUCTION_OUTPUTS).every((name) => outputs[name]?.dims.join() === '1,2');
  } catch {
    return false;
  } finally {
    disposeTensors([...Object.values(feeds), ...Object.values(outputs)]);
  }
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


function presentNameFor(pastName: string): string | null {
  if (pastName.startsWith('past_key_values.')) return `present.${pastName.slice('past_key_values.'.length)}`;
  if (pastName.startsWith('past_')) return `present_${pastName.slice('past_'.length)}`;
  return null;
}

/** The position axis of a cache tensor: its symbolic sequence dimension ([batch, heads, past_sequence_length, head_dim] → 2). */
function sequenceAxisOf(metadata: OrtValueMetadata): number {
  const shape = metadata.shape ?? [];
  const named = shape.findIndex((dim) => typeof dim === 'string' && /seq|past|length/i.test(dim) && !/batch/i.test(dim));
  if (named !== -1) return named;
  const symbolic = shape.flatMap((dim, index) => (typeof dim === 'string' && !/batch/i.test(dim) ? [index] : []));
  return symbolic.length === 1 ? symbolic[0] : 2;
}

/** Checks that the engine can feed every input of the graph and pairs each cache input with its output. */
function cacheLinksOf(session: OrtSession, modelId: string): CacheLink[] {
  if (!session.inputNames.includes('input_ids')) throw new Error(`${modelId}: the ONNX graph has no input_ids input`);
  const links: CacheLink[] = [];
  for (const input of session.inputMetadata) {
    if (SEQUENCE_INPUTS.has(input.name)) continue;
    const present = presentNameFor(input.name);
    if (present === null) throw new Error(`${modelId}: the ONNX graph has an input "${input.name}" the scoring engine cannot feed`);
    // A fused graph gives the new rows in place of the whole present tensor (reduction.ts).
    if (!session.outputNames.includes(present) && !session.outputNames.includes(newCacheRowsName(present))) {
      throw new Error(`${modelId}: cache input "${input.name}" has no "${present}" output to carry forward`);
    }
    links.push({ past: input, present, sequenceAxis: sequenceAxisOf(input) });
  }
  return links;
}

const SEQUENCE_INPUTS = new Set<string>(['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep', 'use_cache_branch', ...Object.values(FUSED_REDUCTION_INPUTS)]);

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
  /** Query heads (config.num_attention_heads): sizes chunks under the attention budget; default: read from the cache inputs' shape. */
  attentionHeads?: number | null;
  /** Releases the model session(s). */
  release(): Promise<void>;
}

export function engineFromParts(parts: EngineParts): TransformersEngine {
  return new TransformersLogprobEngine(parts);
}

/** Token positions p whose figures are wanted: range [s, e) of tokens ↔ positions [s − 1, e − 1). */
function scoredPositionsIn(ranges: readonly TokenRange[], from: number, to: number): number[] {
  const marked = new Uint8Array(Math.max(0, to - from));
  for (const range of ranges) {
    if (range.end <= range.start) continue;
    for (let position = Math.max(range.start - 1, from); position < Math.min(range.end - 1, to); position++) marked[position - from] = 1;
  }
  const positions: number[] = [];
  marked.forEach((flag, index) => {
    if (flag) positions.push(from + index);
  });
  return positions;
}

/** Figures by position of the sequence a prefix cache belongs to; `valid[p]` says position p was reduced. */
interface PositionFigures {
  logprob: Float32Array;
  entropy: Float32Array;
  topkMean: Float32Array;
  valid: Uint8Array;
}

function positionFigures(length: number): PositionFigures {
  return { logprob: new Float32Array(length), entropy: new Float32Array(length), topkMean: new Float32Array(length), valid: new Uint8Array(length) };
}

/** The KV cache kept after a `reusePrefix` call, with what it was computed from. */
interface PrefixCache {
  /** Tokens 0 … kvLength (the last one is the target of position kvLength − 1, when the sequence has it). */
  tokens: Int32Array;
  /** The cache after kvLength positions. */
  kv: KvCache;
  kvLength: number;
  figures: PositionFigures;
}

const zeroStats = (): EngineStats => ({ sequences: 0, tokensScored: 0, tokensForwarded: 0, tokensReused: 0, chunks: 0, bytesReadBack: 0, kvBytesReadBack: 0 });

/** Length of the common prefix of two token sequences. */
function sharedPrefixLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const limit = Math.min(a.length, b.length);
  let shared = 0;
  while (shared < limit && a[shared] === b[shared]) shared++;
  return shared;
}

/** Lexicographic order of token sequences: neighbours share the longest prefixes. */
function compareTokens(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const shared = sharedPrefixLength(a, b);
  if (shared < a.length && shared < b.length) return a[shared] - b[shared];
  return a.length - b.length;
}

/** Long contexts shorten chunks to fit the attention budget, but not below this (tiny chunks run slowly). */
const MIN_CHUNK_UNDER_ATTENTION_BUDGET = 64;

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
  }

  get stats(): EngineStats {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = zeroStats();
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

  /** The chunk that starts at `position`: `chunkSize`, shortened so its attention scores fit the budget. */
  private chunkLengthAt(position: number, chunkSize: number, forwardLength: number): number {
    let length = Math.min(chunkSize, forwardLength - position);
    const budget = this.parts.maxAttentionBytesPerChunk;
    if (budget && this.attentionHeads !== null) {
      // length · (position + length) query-key pairs per head must fit: the positive root of the quadratic.
      const pairs = budget / (this.attentionHeads * FLOAT32_BYTES);
      const fitting = Math.floor((-position + Math.sqrt(position * position + 4 * pairs)) / 2);
      length = Math.min(length, Math.max(MIN_CHUNK_UNDER_ATTENTION_BUDGET, fitting));
    }
    return Math.max(1, length);
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

  /**
   * How much of the kept cache this sequence can start from: positions below the shared token
   * prefix (and below the cache's and this sequence's forward lengths), cut at the first scored
   * position whose figures the cache lacks — that position's logits must be computed again.
   * A position's figures carry over when its target (the next token) is shared too.
   */
  private reusablePrefix(cache: PrefixCache, tokenIds: ArrayLike<number>, ranges: readonly TokenRange[], forwardLength: number): { reused: number; shared: number } {
    const shared = sharedPrefixLength(cache.tokens, tokenIds);
    let reused = Math.min(shared, cache.kvLength, forwardLength);
    for (const range of ranges) {
      if (range.end <= range.start) continue;
      for (let position = range.start - 1; position < Math.min(range.end - 1, reused); position++) {
        if (!cache.figures.valid[position] || position + 1 >= shared) {
          reused = position;
          break;
        }
      }
    }
    return { reused, shared };
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
      const { reused, shared } = this.reusablePrefix(cache, tokenIds, ranges, forwardLength);
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
    try {
      for (let position = start; position < forwardLength; ) {
        throwIfAborted(options.signal);
        if (this.disposed) throw new Error(`${this.modelId}: the engine was disposed while scoring`);
        const length = this.chunkLengthAt(position, chunkSize, forwardLength);
        const end = position + length;
        // The last chunk's cache is only needed when it is kept for the next sequence.
        const wantCache = end < forwardLength || reuse;
        const scored = scoredPositionsIn(ranges, position, end);

        const inputs = this.chunkInputs(tokenIds, position, length);
        if (fused) Object.assign(inputs, this.reductionInputs(tokenIds, scored, position));
        const fetchNames = wantCache ? [...past.fetchNames] : [];
        let fetches: readonly string[] | Record<string, OrtTensor | null>;
        if (fused) {
          if (scored.length > 0) fetchNames.push(...Object.values(FUSED_REDUCTION_OUTPUTS));
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

/** Heads of a [batch, heads, sequence, head_dim] cache tensor: the fixed dims between batch and the sequence axis. */
function headsOf(link: CacheLink | undefined): number | null {
  if (!link) return null;
  const dims = (link.past.shape ?? []).slice(1, link.sequenceAxis);
  if (dims.length === 0 || dims.some((dim) => typeof dim !== 'number')) return null;
  return (dims as number[]).reduce((product, dim) => product * dim, 1);
}

type FigureSource = Pick<ReducedFigures, 'logprob' | 'entropy' | 'topkMean'>;

function copyPositionFigures(source: FigureSource, index: number, target: PositionFigures, position: number): void {
  target.logprob[position] = source.logprob[index];
  target.entropy[position] = source.entropy[index];
  target.topkMean[position] = source.topkMean[index];
  target.valid[position] = 1;
}

/** Writes the figures of positions [from, to) into each range's arrays (token t ↔ position t − 1). */
function writeRangeFigures(
  ranges: readonly TokenRange[],
  from: number,
  to: number,
  figures: TokenFigures[],
  lookup: (position: number) => { source: FigureSource; index: number } | null,
): void {
  ranges.forEach((range, rangeIndex) => {
    const out = figures[rangeIndex];
    for (let position = Math.max(range.start - 1, from); position < Math.min(range.end - 1, to); position++) {
      const found = lookup(position);
      if (!found) throw new Error(`internal: no figures for scored position ${position}`);
      out.logprob[position + 1 - range.start] = found.source.logprob[found.index];
      out.entropy[position + 1 - range.start] = found.source.entropy[found.index];
      out.topkMean[position + 1 - range.start] = found.source.topkMean[found.index];
    }
  });
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
