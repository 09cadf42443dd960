/**
 * Dynamic int8 graphs (transformers.js' q8: onnxruntime's `quantize_dynamic`) made row-independent.
 *
 * `DynamicQuantizeLinear` picks one uint8 scale and zero point over every element of its input:
 * over all positions of a forward pass. A token's log-prob then depends on which other tokens
 * share its chunk (up to 0.76 nats per token on the realformat pairs), so figures would change
 * with the chunk size, a reused prefix or the batch. Here each such node is replaced by the same
 * quantization computed per row (per position, over the last axis) — exactly what the file
 * computes when it is run one token at a time, as in generation — and each `MatMulInteger` that
 * reads it takes the row's zero point off its result (onnxruntime's MatMulInteger only accepts a
 * scalar zero point for A):
 *
 *   scale_r = (max(0, max_r x) − min(0, min_r x)) / 255        (1 where that range is 0)
 *   zp_r    = round(clip(−min(0, min_r x) / scale_r, 0, 255))
 *   q       = clip(round(x / scale_r) + zp_r, 0, 255)            uint8
 *   y       = MatMulInteger(q, B, ·, b_zp) − zp_r · Σ_k (B − b_zp)[k, ·]     int32, exact
 *
 * The scale output keeps its name and becomes [..., S, 1]; the graph's own `Mul(scale, b_scale)`
 * and `Mul(Cast(y), …)` broadcast it per row unchanged.
 */
import { OnnxDataType } from '../onnx/onnx-proto';
import { intAttr, intsAttr } from '../onnx/onnx-graph-builder';
import { GraphFragment, type NodeSummary } from './graph-edit';

const NAME_PREFIX = 'pa_rowq/';
const UINT8_MAX = 255;

/** One DynamicQuantizeLinear node that can be quantized per row, and the MatMulInteger nodes reading it. */
export interface RowQuantizedNode {
  quantizer: NodeSummary;
  matMuls: NodeSummary[];
}

/** The dynamic quantizers of a graph: those that can be made per-row, and why any other cannot. */
export interface RowQuantizationPlan {
  nodes: RowQuantizedNode[];
  /** Quantizers left per-tensor, each with the reason (their figures still depend on the chunk). */
  refused: string[];
}

const isStandard = (node: NodeSummary) => node.domain === '' || node.domain === 'ai.onnx';

/**
 * Finds every DynamicQuantizeLinear whose quantized values and zero point feed only MatMulInteger
 * nodes as their A input (the form quantize_dynamic writes). Empty when the graph has none.
 */
export function rowQuantizationPlan(nodes: readonly NodeSummary[]): RowQuantizationPlan {
  const consumers = new Map<string, { node: NodeSummary; slot: number }[]>();
  for (const node of nodes) {
    node.inputs.forEach((input, slot) => {
      if (input === '') return;
      const list = consumers.get(input) ?? [];
      list.push({ node, slot });
      consumers.set(input, list);
    });
  }
  const plan: RowQuantizationPlan = { nodes: [], refused: [] };
  for (const node of nodes) {
    if (!isStandard(node) || node.opType !== 'DynamicQuantizeLinear') continue;
    const [quantized, , zeroPoint] = node.outputs;
    const readers = consumers.get(quantized) ?? [];
    const zeroPointReaders = zeroPoint ? (consumers.get(zeroPoint) ?? []) : [];
    const matMuls = readers.map((reader) => reader.node);
    const valid =
      readers.length > 0 &&
      readers.every((reader) => isStandard(reader.node) && reader.node.opType === 'MatMulInteger' && reader.slot === 0) &&
      zeroPointReaders.every((reader) => matMuls.includes(reader.node) && reader.slot === 2) &&
      matMuls.every((matMul) => matMul.inputs[2] === undefined || matMul.inputs[2] === '' || matMul.inputs[2] === zeroPoint);
    if (valid) plan.nodes.push({ quantizer: node, matMuls });
    else plan.refused.push(`DynamicQuantizeLinear "${node.outputs[0]}" feeds something other than the A input of MatMulInteger`);
  }
  return plan;
}

export interface RowQuantizationEdit {
  /** Nodes to drop from the model (the quantizers, and the MatMulInteger nodes re-made here). */
  dropNodes: Set<number>;
  /** A partial-graph ModelProto to append (see reduction.ts buildFusedReductionFragment). */
  fragment: Uint8Array;
}

/**
 * The replacement nodes of `plan`. `inputOverrides` gives a quantizer (by node index) another
 * input: the LM head's quantizer then reads only the scored rows (head-cut.ts). `opset`: the
 * model's default opset (ReduceMax / ReduceMin take their axes as an input from opset 18).
 */
export function rowQuantizationEdit(plan: RowQuantizationPlan, opset: number, inputOverrides: ReadonlyMap<number, string> = new Map()): RowQuantizationEdit {
  const fragment = new GraphFragment(NAME_PREFIX);
  const b = fragment.builder;
  const lastAxis = b.int64Vector([-1]);
  const reduce = (op: 'ReduceMax' | 'ReduceMin', input: string, name: string) =>
    opset >= 18 ? b.node(op, [input, lastAxis], { keepdims: intAttr(1) }, { name }) : b.node(op, [input], { axes: intsAttr([-1]), keepdims: intAttr(1) }, { name });
  const zero = b.floatScalar(0);
  const top = b.floatScalar(UINT8_MAX);
  const dropNodes = new Set<number>();
  for (const { quantizer, matMuls } of plan.nodes) {
    dropNodes.add(quantizer.index);
    const [quantizedName, scaleName] = quantizer.outputs;
    const input = fragment.reads(inputOverrides.get(quantizer.index) ?? quantizer.inputs[0]);
    const high = b.node('Max', [reduce('ReduceMax', input, 'row_max'), zero], {}, { name: 'row_high' });
    const low = b.node('Min', [reduce('ReduceMin', input, 'row_min'), zero], {}, { name: 'row_low' });
    const range = b.node('Sub', [high, low], {}, { name: 'row_range' });
    const isEmpty = b.node('Equal', [range, zero], {}, { name: 'row_range_is_zero' });
    const scale = b.node('Where', [isEmpty, b.floatScalar(1), b.node('Div', [range, top], {}, { name: 'row_scale_raw' })], {}, { outputs: [fragment.writes(scaleName)] });
    const zeroPoint = b.node('Round', [b.node('Clip', [b.node('Neg', [b.node('Div', [low, scale], {}, { name: 'low_over_scale' })], {}, { name: 'row_zp_raw' }), zero, top], {}, { name: 'row_zp_clipped' })], {}, { name: 'row_zp' });
    const shifted = b.node('Add', [b.node('Round', [b.node('Div', [input, scale], {}, { name: 'scaled' })], {}, { name: 'rounded' }), zeroPoint], {}, { name: 'shifted' });
    b.node('Cast', [b.node('Clip', [shifted, zero, top], {}, { name: 'clipped' })], { to: intAttr(OnnxDataType.UINT8) }, { outputs: [fragment.writes(quantizedName)] });
    const zeroPointInt = b.node('Cast', [zeroPoint], { to: intAttr(OnnxDataType.INT32) }, { name: 'row_zp_i32' });
    for (const matMul of matMuls) {
      dropNodes.add(matMul.index);
      const [, weights, , weightZeroPoint] = matMul.inputs;
      const raw = b.node('MatMulInteger', [fragment.reads(quantizedName), fragment.reads(weights), '', ...(weightZeroPoint ? [fragment.reads(weightZeroPoint)] : [])], {}, { name: 'product_raw' });
      let centred = b.node('Cast', [fragment.reads(weights)], { to: intAttr(OnnxDataType.INT32) }, { name: 'weights_i32' });
      if (weightZeroPoint) centred = b.node('Sub', [centred, b.node('Cast', [fragment.reads(weightZeroPoint)], { to: intAttr(OnnxDataType.INT32) }, { name: 'weights_zp_i32' })], {}, { name: 'weights_centred' });
      // Column sums of the weights: constant, folded by the runtime when the session is made.
      const columnSums = b.node('ReduceSum', [centred, b.int64Vector([-2])], { keepdims: intAttr(0) }, { name: 'weights_column_sums' });
      const correction = b.node('Mul', [zeroPointInt, columnSums], {}, { name: 'zp_correction' });
      b.node('Sub', [raw, correction], {}, { outputs: [fragment.writes(matMul.outputs[0])] });
    }
  }
  return { dropNodes, fragment: fragment.encode() };
}
