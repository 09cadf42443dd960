/**
 * From a model transformers.js loaded to an engine: finds the onnxruntime it runs on, builds the
 * reduction, re-creates the session from the model file with the reduction fused into its graph
 * (and the LM head cut to the scored rows) where the runtime allows it, and checks the graph.
 */
import { Tensor as TransformersTensor, env, type PreTrainedModel } from '@huggingface/transformers';
import {
  FUSED_REDUCTION_INPUTS,
  FUSED_REDUCTION_MIN_OPSET,
  FUSED_REDUCTION_OUTPUTS,
  LogitReducer,
  fuseReductionIntoModel,
  headCutSearch,
  type FusedReductionOptions,
  type HeadCut,
} from '../reduction';
import { rowQuantizationPlan, type RowQuantizationPlan } from '../row-quantization';
import { exactTrigEdit, type ExactTrigEdit } from '../exact-trig';
import { FLOAT32_SOFTMAX_MIN_OPSET, float32SoftmaxEdit, type Float32SoftmaxEdit } from '../float32-softmax';
import type { EngineFallback } from '../types';
import { defaultOpsetOf, graphNodes, initializerNames } from '../graph-edit';
import {
  disposeTensors,
  type OrtExecutionProvider,
  type OrtRuntime,
  type OrtSession,
  type OrtSessionFactory,
  type OrtTensor,
  type OrtTensorConstructor,
  type OrtValueMetadata,
} from '../ort-types';
import { emptyPast } from '../kv-cache';
import { DEFAULT_CHUNK_SIZE, DEFAULT_MAX_ATTENTION_BYTES_PER_CHUNK, type ReductionMode, type TransformersEngine } from './options';
import { cacheLinksOf, idTypeOf, presentNameFor, sequenceAxisOf, sequenceInputs } from './graph-io';
import { engineFromParts } from './engine';
import { appendAll } from '../../arrays';

/** transformers.js dtypes whose files quantize_dynamic writes (DynamicQuantizeLinear before each int8 product). */
const DYNAMIC_INT8_DTYPES = new Set(['q8', 'int8', 'uint8']);

/** Model types whose position ids start at 1 (as transformers.js' decoder_forward does). */
const ONE_BASED_POSITION_MODEL_TYPES = new Set(['paligemma', 'gemma3_text', 'gemma3']);

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
  // WebGPU's TopK is slow on whole vocabulary rows (top-k.ts).
  const reducer = await LogitReducer.create(runtime.sessionFactory, runtime.Tensor, { vocabSize, logitsType, executionProviders: reductionProviders, blockedTopK: onDevice });
  if (onDevice && reducer.Tensor.fromGpuBuffer === undefined) {
    await reducer.release();
    throw new Error(`${options.modelId}: the WebGPU runtime's Tensor has no fromGpuBuffer`);
  }

  let fusedReduction = false;
  let headCut = false;
  let rowQuantized = false;
  const cacheLinks = cacheLinksOf(session, options.modelId);
  // CPU and WASM have no float16 Softmax kernel (float32-softmax.ts); WebGPU has one.
  const float16Graph = logitsType === 'float16' || cacheLinks.some((link) => link.past.type === 'float16');
  const fallbacks: EngineFallback[] = [];
  // On WebGPU the fused graph runs on the device too: a cut head computes the scored rows only, and only the figures come back.
  const fusable = (device === 'cpu' && runtime.name === 'onnxruntime-node') || (runtime.name === 'onnxruntime-web' && (device === 'wasm' || onDevice));
  if (fusable && options.reduction !== 'separate' && options.readModelBytes) {
    let fused: Awaited<ReturnType<typeof withFusedReduction<ConfiguredSession>>>;
    try {
      fused = await withFusedReduction(session, runtime.sessionFactory, reducer.Tensor, await options.readModelBytes(dtype), {
        exactTrigonometry: onDevice,
        float32Softmax: !onDevice && float16Graph,
        blockedTopK: onDevice,
        vocabSize,
        logitsType,
        executionProviders: reductionProviders,
        cacheLinks: cacheLinks.map((link) => ({
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
    rowQuantized = fused.rowQuantized;
    appendAll(fallbacks, fused.fallbacks);
  } else {
    const why =
      options.reduction === 'separate'
        ? 'the separate reduction was asked for'
        : !fusable
          ? `the in-graph reduction runs on onnxruntime-node (cpu) and onnxruntime-web (wasm, webgpu), not ${runtime.name} on ${device}`
          : 'the host cannot read the model file again';
    fallbacks.push({ kind: 'reduction', reason: `logits are reduced in a separate session: ${why}` });
    fallbacks.push({ kind: 'head-cut', reason: `the LM head runs at every position: ${why}` });
    if (onDevice) fallbacks.push({ kind: 'trigonometry', reason: `any rotary Cos / Sin run as the device computes them (off by up to 2e-4 on some adapters): ${why}` });
    if (!onDevice && float16Graph) fallbacks.push(float16SoftmaxFallback(why));
  }
  if (DYNAMIC_INT8_DTYPES.has(dtype) && !rowQuantized && !fallbacks.some((fallback) => fallback.kind === 'quantization')) {
    fallbacks.push(perTensorFallback('the graph runs as exported'));
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
    fallbacks,
    attentionHeads: numericConfig(config, 'num_attention_heads') ?? numericConfig(config, 'n_head'),
    release: options.ownsModel ? () => model.dispose().then(() => undefined) : () => Promise.resolve(),
  });
}

/** A fused graph to try: with or without the head cut and the per-row int8 quantizers. */
interface FusedCandidate {
  headCut: HeadCut | null;
  rowQuantization: RowQuantizationPlan | null;
  exactTrig?: ExactTrigEdit | null;
  float32Softmax?: Float32SoftmaxEdit | null;
}

/**
 * The model session re-created from its file with the reduction appended to its graph, or the
 * original session when that is not possible (no bytes, opset < 13, the runtime refuses it). The
 * original is released first so that two copies of the weights never coexist (WASM has 4 GiB).
 * Dynamic int8 quantizers become per-row ones (row-quantization.ts) and the LM head is cut to the
 * scored rows where the graph allows it (head-cut.ts), checked by one two-token run; each graph
 * that fails gives way to the next with less of that (the cut, then the per-row quantizers), and
 * when every fused graph fails, the plain graph is loaded again from the same bytes. Each step
 * down is a fallback with its reason. With `exactTrigonometry` (WebGPU) the first graph also has
 * its Cos / Sin in exact arithmetic (exact-trig.ts); with `float32Softmax` (a float16 graph on the
 * CPU or WASM) every graph computes its softmax in float32 (float32-softmax.ts), and one more
 * graph without that is tried last.
 */
export async function withFusedReduction<T extends OrtSession>(
  session: T,
  sessionFactory: OrtSessionFactory,
  Tensor: OrtTensorConstructor,
  modelBytes: Uint8Array | null,
  options: FusedReductionOptions & { executionProviders: OrtExecutionProvider[]; exactTrigonometry?: boolean; float32Softmax?: boolean },
): Promise<{ session: T; fused: boolean; headCut: boolean; rowQuantized: boolean; fallbacks: EngineFallback[] }> {
  const fallbacks: EngineFallback[] = [];
  const unchanged = (why: string) => {
    fallbacks.push({ kind: 'reduction', reason: `logits are reduced in a separate session: ${why}` }, { kind: 'head-cut', reason: `the LM head runs at every position: ${why}` });
    if (float32Softmax) fallbacks.push(float16SoftmaxFallback(why));
    return { session, fused: false, headCut: false, rowQuantized: false, fallbacks };
  };
  if (modelBytes === null) return unchanged('the host cannot read the model file again');
  const opset = defaultOpsetOf(modelBytes);
  if (opset === null || opset < FUSED_REDUCTION_MIN_OPSET) return unchanged(`the model's opset ${opset ?? 'unknown'} is older than ${FUSED_REDUCTION_MIN_OPSET}`);
  if (session.inputNames.some((name) => name.startsWith('pa_reduction'))) return unchanged('the graph already carries a reduction');
  const { exactTrigonometry, float32Softmax, ...fuseOptions } = options;
  const sessionOptions = { executionProviders: options.executionProviders, logSeverityLevel: 3 } as const;
  const candidates: FusedCandidate[] = [];
  let noCut = '';
  let plan: RowQuantizationPlan | null = null;
  let softmax: Float32SoftmaxEdit | null = null;
  let noSoftmax = '';
  try {
    const nodes = graphNodes(modelBytes);
    plan = rowQuantizationPlan(nodes);
    const rowQuantized = new Set(plan.nodes.map((node) => node.quantizer.index));
    const search = headCutSearch(nodes, initializerNames(modelBytes), options.logitsName, rowQuantized);
    if (search.cut === null) noCut = search.reason;
    const rows = plan.nodes.length > 0 ? plan : null;
    if (search.cut) candidates.push({ headCut: search.cut, rowQuantization: rows });
    candidates.push({ headCut: null, rowQuantization: rows });
    if (rows) candidates.push({ headCut: null, rowQuantization: null });
    const exactTrig = exactTrigonometry ? exactTrigEdit(nodes) : null;
    if (exactTrig) candidates.unshift({ ...candidates[0], exactTrig });
    if (float32Softmax) {
      softmax = float32SoftmaxEdit(nodes, opset);
      if (softmax === null && nodes.some((node) => node.opType === 'Softmax')) noSoftmax = `the model's opset ${opset} is older than ${FLOAT32_SOFTMAX_MIN_OPSET}`;
      if (softmax) {
        const first = candidates[0];
        for (const candidate of candidates) candidate.float32Softmax = softmax;
        candidates.push({ ...first, float32Softmax: null });
      }
    }
  } catch (error) {
    noCut = `the graph cannot be read (${messageOf(error)})`;
    candidates.push({ headCut: null, rowQuantization: null });
  }
  const cacheInputs = session.inputMetadata.filter((input) => presentNameFor(input.name) !== null);
  await session.release();
  const failures: string[] = [];
  for (const candidate of candidates) {
    let fused: T | null = null;
    try {
      const { exactTrig, float32Softmax: softmaxEdit, ...edits } = candidate;
      const nodeReplacements = [exactTrig, softmaxEdit].filter((edit) => edit != null);
      fused = (await sessionFactory.create(fuseReductionIntoModel(modelBytes, { ...fuseOptions, ...edits, nodeReplacements }), sessionOptions)) as T;
      const complete = Object.values(FUSED_REDUCTION_OUTPUTS).every((name) => fused!.outputNames.includes(name));
      if (!complete) throw new Error('the fused session lacks the reduction outputs');
      if (candidate.headCut !== null || candidate.rowQuantization !== null || nodeReplacements.length > 0) await fusedGraphRuns(fused, Tensor, cacheInputs);
      // Per-row, or no dynamic quantizer to make per-row.
      const rowQuantized = plan !== null && (candidate.rowQuantization !== null || plan.nodes.length === 0);
      if (candidate.headCut === null) {
        fallbacks.push({ kind: 'head-cut', reason: `the LM head runs at every position: ${noCut || failures[0] || 'the cut graph failed'}` });
      }
      if (plan && plan.nodes.length > 0 && candidate.rowQuantization === null) fallbacks.push(perTensorFallback(`the per-row quantizers failed (${failures.at(-1) ?? 'unknown'})`));
      if (plan && plan.refused.length > 0) fallbacks.push(perTensorFallback(plan.refused.join('; ')));
      if (exactTrigonometry && !candidate.exactTrig && graphHasTrig(modelBytes)) {
        fallbacks.push({ kind: 'trigonometry', reason: `the rotary Cos / Sin run as the device computes them (off by up to 2e-4 on some adapters): ${failures[0] ?? 'the graph cannot be read'}` });
      }
      if (softmax && !candidate.float32Softmax) fallbacks.push(float16SoftmaxFallback(`the graph with it failed (${failures.at(-1) ?? 'unknown'})`));
      if (noSoftmax) fallbacks.push(float16SoftmaxFallback(noSoftmax));
      return { session: fused, fused: true, headCut: candidate.headCut !== null, rowQuantized, fallbacks };
    } catch (error) {
      failures.push(`${candidate.headCut ? 'cut head' : 'fused graph'}${candidate.rowQuantization ? ' with per-row int8' : ''}${candidate.exactTrig ? ' with exact Cos / Sin' : ''}: ${messageOf(error)}`);
    }
    await fused?.release();
  }
  const plain = (await sessionFactory.create(modelBytes, sessionOptions)) as T;
  const why = `the runtime refused every fused graph (${failures.join('; ')})`;
  fallbacks.push({ kind: 'reduction', reason: `logits are reduced in a separate session: ${why}` }, { kind: 'head-cut', reason: `the LM head runs at every position: ${why}` });
  if (plan && plan.nodes.length + plan.refused.length > 0) fallbacks.push(perTensorFallback(why));
  if (exactTrigonometry && graphHasTrig(modelBytes)) fallbacks.push({ kind: 'trigonometry', reason: `the rotary Cos / Sin run as the device computes them (off by up to 2e-4 on some adapters): ${why}` });
  if (softmax || noSoftmax) fallbacks.push(float16SoftmaxFallback(why));
  return { session: plain, fused: false, headCut: false, rowQuantized: false, fallbacks };
}

/** A dynamic int8 graph left as exported: its figures depend on the chunking (see row-quantization.ts). */
const perTensorFallback = (why: string): EngineFallback => ({
  kind: 'quantization',
  reason: `int8 activations are quantized over each forward pass, so figures depend on the chunk size and on what is scored with them (approximate): ${why}`,
});

/** A float16 graph's softmax left to the CPU's float16 path: its figures depend on the chunking (see float32-softmax.ts). */
const float16SoftmaxFallback = (why: string): EngineFallback => ({
  kind: 'quantization',
  reason: `the float16 attention softmax runs as onnxruntime's CPU function body, whose sums depend on the number of keys, so figures move with the chunk size by up to 1.5e-4 (approximate): ${why}`,
});

const graphHasTrig = (modelBytes: Uint8Array) => {
  try {
    return graphNodes(modelBytes).some((node) => node.opType === 'Cos' || node.opType === 'Sin');
  } catch {
    return false;
  }
};

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * One run of the fused graph on two tokens from an empty cache, reducing both positions: a cut
 * LM head whose shapes do not work out fails here (or gives figures of the wrong shape), not in
 * the middle of a job.
 */
async function fusedGraphRuns(session: OrtSession, Tensor: OrtTensorConstructor, cacheInputs: readonly OrtValueMetadata[]): Promise<void> {
  const feeds: Record<string, OrtTensor> = {
    ...sequenceInputs(Tensor, new Set(session.inputNames), idTypeOf(session), [0, 0], 0, 2, 0),
    [FUSED_REDUCTION_INPUTS.positions]: new Tensor('int64', BigInt64Array.from([0n, 1n]), [2]),
    [FUSED_REDUCTION_INPUTS.targets]: new Tensor('int64', BigInt64Array.from([0n, 0n]), [1, 2]),
    ...emptyPast(cacheInputs.map((past) => ({ past, present: '', sequenceAxis: sequenceAxisOf(past) })), Tensor),
  };
  let outputs: Record<string, OrtTensor> = {};
  try {
    outputs = await session.run(feeds, Object.values(FUSED_REDUCTION_OUTPUTS));
    const shapes = Object.values(FUSED_REDUCTION_OUTPUTS).map((name) => outputs[name]?.dims.join(', ') ?? 'none');
    if (shapes.some((shape) => shape !== '1, 2')) throw new Error(`a two-position run gave figures of shape [${shapes.join('] [')}], not [1, 2]`);
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
