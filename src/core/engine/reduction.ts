/**
 * The reduction graph: turns a chunk's logits [1, S, V] into three floats per position on the
 * device the model ran on, so that only [1, S] tensors are ever read back (a 150k vocabulary makes
 * one position's logits 600 kB; a few thousand positions would not fit a WebGPU buffer).
 *
 *   logp           = LogSoftmax(logits)                        [1, S, V]
 *   target_logprob = GatherElements(logp, targets[..., None])   [1, S]   log p(token that follows)
 *   entropy        = −Σ_v exp(logp) · logp                      [1, S]   nats
 *   topk_mean      = mean(TopK(logp, k))                        [1, S]   k = min(20, V)
 */
import { OnnxDataType, encodeOnnxModel, type OnnxModel } from '../onnx/onnx-proto';
import { OnnxGraphBuilder, intAttr, intsAttr, valueInfo } from '../onnx/onnx-graph-builder';
import { defaultOpsetOf, editModelGraph, type NodeReplacement } from './graph-edit';
import type { HeadCut } from './head-cut';
import { rowQuantizationEdit, type RowQuantizationPlan } from './row-quantization';
import { topKValues } from './top-k';

export { headCutOf, headCutSearch, type HeadCut, type HeadCutSearch } from './head-cut';
import {
  disposeTensors,
  float32DataOf,
  type OrtExecutionProvider,
  type OrtSession,
  type OrtSessionFactory,
  type OrtTensor,
  type OrtTensorConstructor,
  typedArrayFor,
} from './ort-types';
import { TOP_K } from './types';

const REDUCTION_OPSET = 17;
const REDUCTION_IR_VERSION = 8;
/** Most negative float32: log-probs of −∞ (a masked vocabulary entry) are clamped to it so that 0 · log 0 = 0, not NaN. */
const LOWEST_FLOAT32 = -3.4028234663852886e38;

export const REDUCTION_INPUTS = { logits: 'logits', targets: 'targets' } as const;
export const REDUCTION_OUTPUTS = { targetLogprob: 'target_logprob', entropy: 'entropy', topkMean: 'topk_mean' } as const;

export interface ReductionGraphOptions {
  vocabSize: number;
  /** Element type of the model's logits; float16 logits are cast to float32 first. */
  logitsType?: 'float32' | 'float16';
  /** Defaults to TOP_K; clamped to the vocabulary size. */
  topK?: number;
  /** Top-k through block maxima (top-k.ts): WebGPU's TopK is slow on whole rows. */
  blockedTopK?: boolean;
}

/** The reduction graph's ModelProto bytes. */
export function buildReductionGraph(options: ReductionGraphOptions): Uint8Array {
  const { vocabSize } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new Error(`reduction graph: vocabSize must be a positive integer, got ${vocabSize}`);
  const logitsType = options.logitsType ?? 'float32';
  const k = Math.min(options.topK ?? TOP_K, vocabSize);
  const b = new OnnxGraphBuilder();
  b.reserveName(REDUCTION_INPUTS.logits);
  b.reserveName(REDUCTION_INPUTS.targets);

  const logits =
    logitsType === 'float16'
      ? b.node('Cast', [REDUCTION_INPUTS.logits], { to: intAttr(OnnxDataType.FLOAT) }, { name: 'logits_fp32' })
      : REDUCTION_INPUTS.logits;
  const lastAxis = b.int64Vector([-1]);
  const logp = b.node('LogSoftmax', [logits], { axis: intAttr(-1) }, { name: 'logp' });

  const targetIndex = b.node('Unsqueeze', [REDUCTION_INPUTS.targets, lastAxis], {}, { name: 'target_index' });
  const gathered = b.node('GatherElements', [logp, targetIndex], { axis: intAttr(-1) }, { name: 'target_logp' });
  b.node('Squeeze', [gathered, lastAxis], {}, { outputs: [REDUCTION_OUTPUTS.targetLogprob] });

  const finiteLogp = b.node('Max', [logp, b.floatScalar(LOWEST_FLOAT32)], {}, { name: 'finite_logp' });
  const probability = b.node('Exp', [finiteLogp], {}, { name: 'probability' });
  const weighted = b.node('Mul', [probability, finiteLogp], {}, { name: 'p_logp' });
  const negativeEntropy = b.node('ReduceSum', [weighted, lastAxis], { keepdims: intAttr(0) }, { name: 'neg_entropy' });
  b.node('Neg', [negativeEntropy], {}, { outputs: [REDUCTION_OUTPUTS.entropy] });

  const topValues = topKValues(b, logp, { vocabSize, k, blocked: options.blockedTopK === true, opset: REDUCTION_OPSET });
  // Opset 17 ReduceMean still takes its axes as an attribute (an input from opset 18).
  b.node('ReduceMean', [topValues], { axes: intsAttr([-1]), keepdims: intAttr(0) }, { outputs: [REDUCTION_OUTPUTS.topkMean] });

  const logitsElementType = logitsType === 'float16' ? OnnxDataType.FLOAT16 : OnnxDataType.FLOAT;
  return encodeOnnxModel({
    ir_version: REDUCTION_IR_VERSION,
    opset_import: [{ domain: '', version: REDUCTION_OPSET }],
    producer_name: 'progress-advantage/engine',
    producer_version: '1',
    doc_string: `per-token log-prob, entropy and top-${k} mean of [batch, sequence, ${vocabSize}] logits`,
    graph: {
      name: 'logit_reduction',
      node: b.nodes,
      initializer: b.initializers,
      input: [
        valueInfo(REDUCTION_INPUTS.logits, logitsElementType, ['batch_size', 'sequence_length', vocabSize]),
        valueInfo(REDUCTION_INPUTS.targets, OnnxDataType.INT64, ['batch_size', 'sequence_length']),
      ],
      output: Object.values(REDUCTION_OUTPUTS).map((name) => valueInfo(name, OnnxDataType.FLOAT, ['batch_size', 'sequence_length'])),
    },
  });
}

/** Per-position figures of one chunk (index i ↔ the chunk's i-th position, predicting the token after it). */
export interface ReducedFigures {
  logprob: Float32Array;
  entropy: Float32Array;
  topkMean: Float32Array;
}

/** One InferenceSession running the reduction graph, on the model's execution provider. */
export class LogitReducer {
  private released = false;

  private constructor(
    private readonly session: OrtSession,
    /** The runtime's own Tensor class (see `create`). */
    readonly Tensor: OrtTensorConstructor,
    readonly vocabSize: number,
  ) {}

  /**
   * Creates the session and runs it once on zero logits, whose figures are known exactly
   * (log-prob −ln V, entropy ln V, top-k mean −ln V): an execution provider that lacks or
   * miscomputes an op fails here, before any scoring. The probe's outputs also give the
   * runtime's own Tensor class — onnxruntime-web only accepts pre-allocated outputs that are
   * `instanceof` its Tensor, which the class transformers.js imports need not be.
   */
  static async create(
    sessionFactory: OrtSessionFactory,
    Tensor: OrtTensorConstructor,
    options: ReductionGraphOptions & { executionProviders: readonly OrtExecutionProvider[] },
  ): Promise<LogitReducer> {
    const session = await sessionFactory.create(buildReductionGraph(options), {
      executionProviders: options.executionProviders,
      logSeverityLevel: 3,
    });
    try {
      const probe = await new LogitReducer(session, Tensor, options.vocabSize).probe(Tensor, options.logitsType ?? 'float32');
      return new LogitReducer(session, probe.runtimeTensor, options.vocabSize);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  private async probe(Tensor: OrtTensorConstructor, logitsType: 'float32' | 'float16'): Promise<{ runtimeTensor: OrtTensorConstructor }> {
    const logits = new Tensor(logitsType, typedArrayFor(logitsType, this.vocabSize), [1, 1, this.vocabSize]);
    const { figures, runtimeTensor } = await this.run(logits, new BigInt64Array(1));
    const logV = Math.log(this.vocabSize);
    const expected = { logprob: -logV, entropy: logV, topkMean: -logV };
    for (const key of ['logprob', 'entropy', 'topkMean'] as const) {
      const value = figures[key][0];
      if (!(Math.abs(value - expected[key]) <= 1e-3 * Math.max(1, logV))) {
        throw new Error(`reduction self-check failed: ${key} of uniform logits over ${this.vocabSize} tokens is ${value}, expected ${expected[key]}`);
      }
    }
    return { runtimeTensor };
  }

  /**
   * Reduces `logits` [1, S, V] (CPU or GPU tensor; not disposed here) against `targets` (the S
   * token ids that follow each position). Reads back three Float32Arrays of length S.
   */
  async reduce(logits: OrtTensor, targets: BigInt64Array): Promise<ReducedFigures> {
    return (await this.run(logits, targets)).figures;
  }

  private async run(logits: OrtTensor, targets: BigInt64Array): Promise<{ figures: ReducedFigures; runtimeTensor: OrtTensorConstructor }> {
    if (this.released) throw new Error('the logit reducer was released');
    const [batch, sequence, vocab] = logits.dims;
    if (logits.dims.length !== 3 || batch !== 1 || sequence !== targets.length || vocab !== this.vocabSize) {
      throw new Error(`reduction: logits [${logits.dims.join(', ')}] do not match [1, ${targets.length}, ${this.vocabSize}]`);
    }
    const targetTensor = new this.Tensor('int64', targets, [1, targets.length]);
    let outputs: Record<string, OrtTensor> | undefined;
    try {
      outputs = await this.session.run(
        { [REDUCTION_INPUTS.logits]: logits, [REDUCTION_INPUTS.targets]: targetTensor },
        Object.values(REDUCTION_OUTPUTS),
      );
      const logprob = outputs[REDUCTION_OUTPUTS.targetLogprob];
      return {
        figures: {
          logprob: float32DataOf(logprob, REDUCTION_OUTPUTS.targetLogprob),
          entropy: float32DataOf(outputs[REDUCTION_OUTPUTS.entropy], REDUCTION_OUTPUTS.entropy),
          topkMean: float32DataOf(outputs[REDUCTION_OUTPUTS.topkMean], REDUCTION_OUTPUTS.topkMean),
        },
        runtimeTensor: logprob.constructor as unknown as OrtTensorConstructor,
      };
    } finally {
      disposeTensors([targetTensor, ...Object.values(outputs ?? {})]);
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

/**
 * The reduction appended to the model's own graph (CPU and WASM): the model session then returns
 * three floats per reduced position instead of its [1, S, V] logits, which otherwise cross from
 * the runtime into JavaScript (4 × V bytes per position) only to be handed to a second session.
 *
 * Inputs added to the model: `positions` [R] (the chunk positions to reduce: the scored ones) and
 * `targets` [1, R] (the token that follows each). Where the graph allows it (`headCutOf`), the
 * LM head itself reads only those rows of the hidden states, so positions that are not scored
 * (prompts, tool outputs) cost no vocabulary-sized matrix product at all; otherwise the logits
 * rows are gathered before LogSoftmax. Nothing is read back for unscored positions either way.
 */
export const FUSED_REDUCTION_INPUTS = {
  positions: 'pa_reduction_positions',
  targets: 'pa_reduction_targets',
} as const;

export const FUSED_REDUCTION_OUTPUTS = {
  targetLogprob: 'pa_reduction_target_logprob',
  entropy: 'pa_reduction_entropy',
  topkMean: 'pa_reduction_topk_mean',
} as const;

/** Every op of the fragment exists with this signature from opset 13 to the newest; older models keep the separate session. */
export const FUSED_REDUCTION_MIN_OPSET = 13;
const FUSED_NAME_PREFIX = 'pa_reduction/';

/** A KV-cache input of the model, the output that holds its next value, and the axis over positions. */
export interface CacheTensorLink {
  past: string;
  present: string;
  sequenceAxis: number;
  /** Element type of the cache (`float32` or `float16`). */
  type: string;
  /** Number of axes of the cache tensors. */
  rank: number;
}

export interface FusedReductionOptions extends ReductionGraphOptions {
  /** The model's logits output (default `logits`). */
  logitsName?: string;
  /**
   * Cache tensors to also expose as their new positions only: output `newCacheRowsName(present)`
   * = present[..., past length :, ...] along the sequence axis. The engine then appends those
   * rows to a cache it keeps itself instead of fetching the whole present tensor every chunk:
   * the runtime would copy it out whole (onnxruntime-node into a new ArrayBuffer, WASM out of its
   * heap), so a long trajectory's cache would be held two or three times at each chunk boundary.
   */
  cacheLinks?: readonly CacheTensorLink[];
  /** Cut the LM head to the scored rows (see headCutOf); the fragment then reduces `logits` as they come. */
  headCut?: HeadCut | null;
  /** Dynamic int8 quantizers to compute per row (row-quantization.ts): the figures then do not depend on the chunk. */
  rowQuantization?: RowQuantizationPlan | null;
  /** Other rewrites: Cos / Sin in exact arithmetic (exact-trig.ts, WebGPU), a float16 softmax in float32 (float32-softmax.ts). */
  nodeReplacements?: readonly NodeReplacement[];
}

const HEAD_ROWS = `${FUSED_NAME_PREFIX}head_rows`;

const NEW_CACHE_ROWS_PREFIX = 'pa_new_rows/';

/** The fused graph's output with the positions a run added to `present` (see FusedReductionOptions.cacheLinks). */
export const newCacheRowsName = (present: string): string => `${NEW_CACHE_ROWS_PREFIX}${present}`;

/**
 * A ModelProto holding only a partial GraphProto (the reduction nodes, their constants, inputs
 * and outputs). Protobuf merges a repeated occurrence of an embedded message field, so appending
 * these bytes to a model's bytes appends the nodes to the model's graph — no decoding of the
 * (possibly gigabytes of) weights.
 */
export function buildFusedReductionFragment(options: FusedReductionOptions, opset = FUSED_REDUCTION_MIN_OPSET): Uint8Array {
  const { vocabSize } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new Error(`fused reduction: vocabSize must be a positive integer, got ${vocabSize}`);
  const logitsName = options.logitsName ?? 'logits';
  const k = Math.min(options.topK ?? TOP_K, vocabSize);
  const cacheLinks = options.cacheLinks ?? [];
  const cacheNames = cacheLinks.flatMap((link) => [link.past, link.present, newCacheRowsName(link.present)]);
  const headCut = options.headCut ?? null;
  const headNames = headCut ? [headCut.rowsInput, HEAD_ROWS] : [];
  const external = new Set<string>([logitsName, ...Object.values(FUSED_REDUCTION_INPUTS), ...Object.values(FUSED_REDUCTION_OUTPUTS), ...cacheNames, ...headNames]);
  const b = new OnnxGraphBuilder();
  // The outputs are reserved by the nodes that write them.
  for (const name of [logitsName, ...Object.values(FUSED_REDUCTION_INPUTS), ...cacheLinks.flatMap((link) => [link.past, link.present]), ...(headCut ? [headCut.rowsInput] : [])]) {
    b.reserveName(name);
  }

  let gatheredRows: string;
  let headShape: string | null = null;
  if (headCut) {
    // The LM head's input cut to the scored rows (fuseReductionIntoModel points the product at it): logits come out [1, R, V].
    b.node('Gather', [headCut.rowsInput, FUSED_REDUCTION_INPUTS.positions], { axis: intAttr(-2) }, { outputs: [HEAD_ROWS] });
    if (headCut.reshape) headShape = b.int64Vector([1, -1, vocabSize]);
    gatheredRows = logitsName;
  } else {
    gatheredRows = b.node('Gather', [logitsName, FUSED_REDUCTION_INPUTS.positions], { axis: intAttr(1) }, { name: 'reduced_logits' });
  }
  const logits =
    options.logitsType === 'float16' ? b.node('Cast', [gatheredRows], { to: intAttr(OnnxDataType.FLOAT) }, { name: 'reduced_logits_fp32' }) : gatheredRows;
  const lastAxis = b.int64Vector([-1]);
  const logp = b.node('LogSoftmax', [logits], { axis: intAttr(-1) }, { name: 'logp' });
  const targetIndex = b.node('Unsqueeze', [FUSED_REDUCTION_INPUTS.targets, lastAxis], {}, { name: 'target_index' });
  const gathered = b.node('GatherElements', [logp, targetIndex], { axis: intAttr(-1) }, { name: 'target_logp' });
  b.node('Squeeze', [gathered, lastAxis], {}, { outputs: [FUSED_REDUCTION_OUTPUTS.targetLogprob] });

  const finiteLogp = b.node('Max', [logp, b.floatScalar(LOWEST_FLOAT32)], {}, { name: 'finite_logp' });
  const probability = b.node('Exp', [finiteLogp], {}, { name: 'probability' });
  const weighted = b.node('Mul', [probability, finiteLogp], {}, { name: 'p_logp' });
  const negativeEntropy = b.node('ReduceSum', [weighted, lastAxis], { keepdims: intAttr(0) }, { name: 'neg_entropy' });
  b.node('Neg', [negativeEntropy], {}, { outputs: [FUSED_REDUCTION_OUTPUTS.entropy] });

  const topValues = topKValues(b, logp, { vocabSize, k, blocked: options.blockedTopK === true, opset });
  // ReduceSum × 1/k rather than ReduceMean: ReduceMean's axes move from attribute to input at opset 18.
  const topSum = b.node('ReduceSum', [topValues, lastAxis], { keepdims: intAttr(0) }, { name: 'topk_sum' });
  b.node('Mul', [topSum, b.floatScalar(1 / k)], {}, { outputs: [FUSED_REDUCTION_OUTPUTS.topkMean] });

  // New cache rows: Slice(present, starts = [past length], ends = [present length], axes = [sequence axis]).
  for (const link of cacheLinks) {
    const axis = b.int64Vector([link.sequenceAxis]);
    const pastLength = b.node('Gather', [b.node('Shape', [link.past], {}, { name: 'past_shape' }), axis], { axis: intAttr(0) }, { name: 'past_length' });
    const presentLength = b.node('Gather', [b.node('Shape', [link.present], {}, { name: 'present_shape' }), axis], { axis: intAttr(0) }, { name: 'present_length' });
    b.node('Slice', [link.present, pastLength, presentLength, axis], {}, { outputs: [newCacheRowsName(link.present)] });
  }

  // The fragment's own names must not collide with the model's (its constants are named like the builder's).
  const rename = (name: string) => (external.has(name) ? name : `${FUSED_NAME_PREFIX}${name}`);
  const nodes = b.nodes.map((node) => ({ ...node, name: rename(node.name), input: node.input.map(rename), output: node.output.map(rename) }));
  const initializers = b.initializers.map((tensor) => ({ ...tensor, name: rename(tensor.name) }));
  if (headShape !== null && rename(headShape) !== headShapeName(vocabSize)) throw new Error(`internal: the head shape constant is named ${rename(headShape)}`);
  const fragment = {
    graph: {
      node: nodes,
      initializer: initializers,
      input: [
        valueInfo(FUSED_REDUCTION_INPUTS.positions, OnnxDataType.INT64, ['reduced_positions']),
        valueInfo(FUSED_REDUCTION_INPUTS.targets, OnnxDataType.INT64, ['batch_size', 'reduced_positions']),
      ],
      output: [
        ...Object.values(FUSED_REDUCTION_OUTPUTS).map((name) => valueInfo(name, OnnxDataType.FLOAT, ['batch_size', 'reduced_positions'])),
        ...cacheLinks.map((link) =>
          valueInfo(
            newCacheRowsName(link.present),
            link.type === 'float16' ? OnnxDataType.FLOAT16 : OnnxDataType.FLOAT,
            Array.from({ length: link.rank }, (_, axis) => `pa_new_rows_${axis}`),
          ),
        ),
      ],
    },
  };
  // Only the graph field is set: a fragment must not override the model's IR version or opsets.
  return encodeOnnxModel(fragment as unknown as OnnxModel);
}

/** The name the fragment gives its [1, −1, V] constant (the Reshape of a cut head reads it). */
const headShapeName = (vocabSize: number) => `${FUSED_NAME_PREFIX}const_i64_1_m1_${vocabSize}`;


/**
 * The model's bytes with the reduction appended to its graph (see buildFusedReductionFragment),
 * and the model's own graph edited at the wire level (graph-edit.ts):
 *  - `logits` and, with cache links, the present.* tensors stop being graph outputs: onnxruntime
 *    keeps every graph output alive to the end of a run, fetched or not, so each layer's present
 *    tensor (the whole cache) would be held for all layers at once, and the logits to the end;
 *    as intermediates, each is freed once read;
 *  - with `headCut`, the LM head's product reads the scored rows only (and its Reshape, if any,
 *    the fragment's [1, −1, V]);
 *  - with `rowQuantization`, dynamic int8 quantizers are replaced by per-row ones;
 *  - with `nodeReplacements`, their nodes by theirs (exact Cos / Sin, float32 softmax).
 */
export function fuseReductionIntoModel(modelBytes: Uint8Array, options: FusedReductionOptions): Uint8Array {
  const fragment = buildFusedReductionFragment(options, defaultOpsetOf(modelBytes) ?? FUSED_REDUCTION_MIN_OPSET);
  const logitsName = options.logitsName ?? 'logits';
  const dropOutputs = new Set([logitsName, ...(options.cacheLinks ?? []).map((link) => link.present)]);
  const nodeInputs = new Map<number, Map<number, string>>();
  const { headCut } = options;
  const rowQuantized = options.rowQuantization?.nodes ?? [];
  // A cut q8 head's quantizer is re-made per row: the re-made one reads the scored rows.
  const quantizerInputs = new Map<number, string>();
  if (headCut) {
    const reader = headCut.rowsReader.index;
    if (rowQuantized.some((node) => node.quantizer.index === reader)) quantizerInputs.set(reader, HEAD_ROWS);
    else nodeInputs.set(reader, new Map([[0, HEAD_ROWS]]));
    if (headCut.reshape) nodeInputs.set(headCut.reshape.index, new Map([[1, headShapeName(options.vocabSize)]]));
  }
  const fragments = [fragment];
  const dropNodes = new Set<number>();
  const edits = [
    rowQuantized.length > 0 ? rowQuantizationEdit(options.rowQuantization!, defaultOpsetOf(modelBytes) ?? FUSED_REDUCTION_MIN_OPSET, quantizerInputs) : null,
    ...(options.nodeReplacements ?? []),
  ];
  for (const edit of edits) {
    if (edit === null) continue;
    fragments.push(edit.fragment);
    for (const index of edit.dropNodes) dropNodes.add(index);
  }
  const appended = new Uint8Array(fragments.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of fragments) {
    appended.set(part, offset);
    offset += part.byteLength;
  }
  return editModelGraph(modelBytes, { dropOutputs, nodeInputs, dropNodes }, appended);
}
