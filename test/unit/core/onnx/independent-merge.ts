/**
 * An independent computation of the merged reference for tests: both ONNX files decoded with the
 * protobuf schema (src/core/onnx/onnx-proto.ts, not the merge's wire reader), every float
 * initializer merged as ref + α·(pol − ref) in float32 arithmetic (float16 widened, then rounded
 * back), and the model encoded again.
 */
import { OnnxDataType, decodeOnnxModel, encodeOnnxModel, float16BitsToNumber, float32ToFloat16Bits, type OnnxModel } from '../../../../src/core/onnx';

export function independentMerge(reference: Uint8Array, policy: Uint8Array, alpha: number): Uint8Array {
  const ref = decodeOnnxModel(reference);
  const pol = decodeOnnxModel(policy);
  const byName = new Map(pol.graph.initializer.map((tensor) => [tensor.name, tensor]));
  const merged: OnnxModel = {
    ...ref,
    graph: {
      ...ref.graph,
      initializer: ref.graph.initializer.map((tensor) => {
        const other = byName.get(tensor.name)!;
        if (tensor.data_type === OnnxDataType.FLOAT) {
          const r = new Float32Array(new Uint8Array(tensor.raw_data).buffer);
          const p = new Float32Array(new Uint8Array(other.raw_data).buffer);
          const out = r.map((value, i) => Math.fround(value + Math.fround(Math.fround(alpha) * Math.fround(p[i] - value))));
          return { ...tensor, raw_data: new Uint8Array(out.buffer) };
        }
        if (tensor.data_type === OnnxDataType.FLOAT16) {
          const r = new Uint16Array(new Uint8Array(tensor.raw_data).buffer);
          const p = new Uint16Array(new Uint8Array(other.raw_data).buffer);
          const out = r.map((bits, i) => {
            const a = float16BitsToNumber(bits);
            return float32ToFloat16Bits(Math.fround(a + Math.fround(Math.fround(alpha) * Math.fround(float16BitsToNumber(p[i]) - a))));
          });
          return { ...tensor, raw_data: new Uint8Array(out.buffer) };
        }
        return tensor;
      }),
    },
  };
  return encodeOnnxModel(merged);
}


/**
 * The independent TIES merge with one task vector: per float32 tensor, τ = pol − ref, the entries
 * whose |τ| is among the largest max(1, ⌊density·n⌋) (ties at the threshold kept) move by α·τ.
 */
export function independentTiesMerge(reference: Uint8Array, policy: Uint8Array, alpha: number, density: number): Uint8Array {
  const ref = decodeOnnxModel(reference);
  const pol = decodeOnnxModel(policy);
  const byName = new Map(pol.graph.initializer.map((tensor) => [tensor.name, tensor]));
  return encodeOnnxModel({
    ...ref,
    graph: {
      ...ref.graph,
      initializer: ref.graph.initializer.map((tensor) => {
        if (tensor.data_type !== OnnxDataType.FLOAT) return tensor;
        const r = new Float32Array(new Uint8Array(tensor.raw_data).buffer);
        const p = new Float32Array(new Uint8Array(byName.get(tensor.name)!.raw_data).buffer);
        const magnitudes = Array.from(r, (value, i) => Math.abs(p[i] - value));
        const k = Math.max(1, Math.floor(density * r.length));
        const threshold = k >= r.length ? -Infinity : [...magnitudes].sort((a, b) => b - a)[k - 1];
        const out = r.map((value, i) => (magnitudes[i] >= threshold ? Math.fround(value + alpha * (p[i] - value)) : value));
        return { ...tensor, raw_data: new Uint8Array(out.buffer) };
      }),
    },
  });
}
