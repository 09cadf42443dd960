/**
 * float32-softmax.ts on small graphs run by onnxruntime-node's CPU: a float16 Softmax becomes the
 * float32 kernel's, rounded once to float16 (its output keeps its type and axis), a float32 one is
 * unchanged, and graphs it cannot edit are left alone. The real-format pairs' chunk independence
 * with it is in realformat-chunking.test.ts.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxDataType, decodeOnnxModel, encodeOnnxModel, float16BitsToNumber, float32ToFloat16Bits, type OnnxModel } from '../../../../src/core/onnx';
import { OnnxGraphBuilder, intAttr, valueInfo } from '../../../../src/core/onnx/onnx-graph-builder';
import { float32SoftmaxEdit } from '../../../../src/core/engine/float32-softmax';
import { editModelGraph, graphNodes } from '../../../../src/core/engine/graph-edit';

const ROWS = 3;
const COLUMNS = 700;

/** x [ROWS, COLUMNS] → Softmax(axis) → y, in `type`. */
function softmaxModel(type: typeof OnnxDataType.FLOAT | typeof OnnxDataType.FLOAT16, axis: number, opset = 17): Uint8Array {
  const b = new OnnxGraphBuilder();
  b.reserveName('x');
  b.node('Softmax', ['x'], { axis: intAttr(axis) }, { outputs: ['y'] });
  const model = {
    ir_version: 8,
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'test',
    producer_version: '1',
    doc_string: '',
    graph: { name: 'softmax', node: b.nodes, initializer: b.initializers, input: [valueInfo('x', type, [ROWS, COLUMNS])], output: [valueInfo('y', type, [ROWS, COLUMNS])] },
  };
  return encodeOnnxModel(model as unknown as OnnxModel);
}

function edited(bytes: Uint8Array): Uint8Array {
  const edit = float32SoftmaxEdit(graphNodes(bytes), 17)!;
  expect([...edit.dropNodes]).toEqual([0]);
  return editModelGraph(bytes, { dropNodes: edit.dropNodes }, edit.fragment);
}

/** Deterministic logits spread over ±8, as attention scores are. */
const logits = Float32Array.from({ length: ROWS * COLUMNS }, (_, index) => Math.fround(8 * Math.sin(index * 0.37) * Math.cos(index * 0.011)));

/** Softmax of each row (axis −1) or each column (axis 0) of `logits`, in float64. */
function softmaxIn64(values: ArrayLike<number>, axis: number): Float64Array {
  const result = new Float64Array(ROWS * COLUMNS);
  const [outer, inner, stride] = axis === 0 ? [COLUMNS, ROWS, COLUMNS] : [ROWS, COLUMNS, 1];
  for (let o = 0; o < outer; o++) {
    const at = (i: number) => (axis === 0 ? o + i * stride : o * COLUMNS + i);
    let max = -Infinity;
    for (let i = 0; i < inner; i++) max = Math.max(max, values[at(i)]);
    let sum = 0;
    for (let i = 0; i < inner; i++) sum += Math.exp(values[at(i)] - max);
    for (let i = 0; i < inner; i++) result[at(i)] = Math.exp(values[at(i)] - max) / sum;
  }
  return result;
}

describe('float16 softmax computed by the float32 kernel', () => {
  it.each([-1, 0])('keeps a float16 output (axis %i) within float16 rounding of the exact softmax', async (axis) => {
    const bytes = edited(softmaxModel(OnnxDataType.FLOAT16, axis));
    expect(decodeOnnxModel(bytes).graph.node.map((node) => node.op_type)).toEqual(['Cast', 'Softmax', 'CastLike']);
    const half = Uint16Array.from(logits, (value) => float32ToFloat16Bits(value));
    const session = await ort.InferenceSession.create(bytes);
    const { y } = await session.run({ x: new ort.Tensor('float16', half, [ROWS, COLUMNS]) });
    await session.release();
    expect(y.type).toBe('float16');
    const expected = softmaxIn64(Array.from(half, float16BitsToNumber), axis);
    const got = Array.from(y.data as Uint16Array, float16BitsToNumber);
    // Half a float16 ulp (2⁻¹¹ relative) plus float32 noise: one rounding, from a float32 result.
    got.forEach((value, index) => expect(Math.abs(value - expected[index])).toBeLessThanOrEqual(expected[index] * 2 ** -11 + 1e-7));
  });

  it('leaves a float32 softmax as it was', async () => {
    const bytes = softmaxModel(OnnxDataType.FLOAT, -1);
    const run = async (model: Uint8Array) => {
      const session = await ort.InferenceSession.create(model);
      const { y } = await session.run({ x: new ort.Tensor('float32', logits, [ROWS, COLUMNS]) });
      await session.release();
      return y;
    };
    const [plain, rewritten] = [await run(bytes), await run(edited(bytes))];
    expect(rewritten.type).toBe('float32');
    expect(Array.from(rewritten.data as Float32Array)).toEqual(Array.from(plain.data as Float32Array));
  });

  it('does nothing to a graph without Softmax or older than opset 15 (no CastLike)', () => {
    expect(float32SoftmaxEdit([{ index: 0, opType: 'MatMul', domain: '', inputs: ['a', 'b'], outputs: ['c'], intAttributes: {} }], 17)).toBeNull();
    expect(float32SoftmaxEdit(graphNodes(softmaxModel(OnnxDataType.FLOAT16, -1, 14)), 14)).toBeNull();
  });
});
