/**
 * The attention softmax of a float16 graph computed by the float32 Softmax kernel, on the CPU and
 * WASM. onnxruntime has no float16 Softmax kernel there, so it runs the op's function body
 * (ReduceMax, Sub, Exp, ReduceSum, Div) in float32 — and that ReduceSum adds a row's terms in an
 * order that depends on the row's length, which for attention is past + chunk keys. A denominator
 * one float32 ulp off now and then flips a float16 rounding of the attention output, so a token's
 * log-prob moved with the chunk size: up to 1.54e-4 on the Llama 3 realformat pair (chunks of 37
 * vs the default), 5e-5 on Qwen3, measured in a plain onnxruntime session on the file too. The
 * float32 kernel sums each row in the same order whatever its length (fp32 graphs move by 0), so
 * each Softmax becomes
 *
 *   Cast(x, float32) → Softmax(axis) → CastLike(·, x)
 *
 * — a no-op where x is float32 already (a mixed-precision export's softmax), and where x is
 * float16 the same function in float32 without the length-dependent sum: chunk size, prefix
 * reuse and batches then change nothing (Δ = 0 measured), and the figures stay within 2.4e-5 of
 * the file's own in a plain session. CastLike needs opset 15.
 */
import { OnnxDataType } from '../onnx/onnx-proto';
import { intAttr } from '../onnx/onnx-graph-builder';
import { GraphFragment, type NodeSummary } from './graph-edit';

const NAME_PREFIX = 'pa_softmax32/';
/** CastLike, which keeps each softmax's own output type, exists from this opset. */
export const FLOAT32_SOFTMAX_MIN_OPSET = 15;

export interface Float32SoftmaxEdit {
  /** The Softmax nodes replaced. */
  dropNodes: Set<number>;
  /** A partial-graph ModelProto to append (see reduction.ts buildFusedReductionFragment). */
  fragment: Uint8Array;
}

const isSoftmax = (node: NodeSummary) => (node.domain === '' || node.domain === 'ai.onnx') && node.opType === 'Softmax';

/** The graph's standard Softmax nodes computed in float32; null when it has none or its opset is older than 15. */
export function float32SoftmaxEdit(nodes: readonly NodeSummary[], opset: number): Float32SoftmaxEdit | null {
  const softmaxes = nodes.filter(isSoftmax);
  if (softmaxes.length === 0 || opset < FLOAT32_SOFTMAX_MIN_OPSET) return null;
  const fragment = new GraphFragment(NAME_PREFIX);
  const b = fragment.builder;
  for (const node of softmaxes) {
    const input = fragment.reads(node.inputs[0]);
    const output = fragment.writes(node.outputs[0]);
    const wide = b.node('Cast', [input], { to: intAttr(OnnxDataType.FLOAT) }, { name: 'input_f32' });
    const axis = node.intAttributes.axis;
    const probabilities = b.node('Softmax', [wide], axis === undefined ? {} : { axis: intAttr(axis) }, { name: 'softmax_f32' });
    b.node('CastLike', [probabilities, input], {}, { outputs: [output] });
  }
  return { dropNodes: new Set(softmaxes.map((node) => node.index)), fragment: fragment.encode() };
}
