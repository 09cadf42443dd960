/**
 * The two graph changes the WebGPU path makes (run here on onnxruntime-node's CPU, whose TopK and
 * Cos / Sin are exact, so any difference is the rewrite's): the top-k through block maxima
 * (top-k.ts) gives the same top-20 mean as a sort in float64, ties and a padded last block
 * included; Cos / Sin rewritten in exact arithmetic (exact-trig.ts) agree with Math.cos / Math.sin
 * to float32 rounding far beyond [−π, π].
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxDataType, decodeOnnxModel, encodeOnnxModel, type OnnxModel } from '../../../../src/core/onnx/onnx-proto';
import { OnnxGraphBuilder, valueInfo } from '../../../../src/core/onnx/onnx-graph-builder';
import { buildReductionGraph, REDUCTION_OUTPUTS } from '../../../../src/core/engine/reduction';
import { topKBlockSize } from '../../../../src/core/engine/top-k';
import { exactTrigEdit } from '../../../../src/core/engine/exact-trig';
import { editModelGraph, graphNodes } from '../../../../src/core/engine/graph-edit';

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

/** Mean of the 20 largest log-probs of a row, in float64 by sorting. */
function topMeanBySorting(row: Float32Array): number {
  let max = -Infinity;
  for (const value of row) max = Math.max(max, value);
  let sum = 0;
  for (const value of row) sum += Math.exp(value - max);
  const logZ = max + Math.log(sum);
  const sorted = Array.from(row).sort((a, b) => b - a);
  return sorted.slice(0, 20).reduce((total, value) => total + value - logZ, 0) / 20;
}

async function topMeans(rows: Float32Array[], blockedTopK: boolean): Promise<Float32Array> {
  const vocabSize = rows[0].length;
  const graph = buildReductionGraph({ vocabSize, blockedTopK });
  const session = await ort.InferenceSession.create(graph);
  const flat = new Float32Array(rows.length * vocabSize);
  rows.forEach((row, index) => flat.set(row, index * vocabSize));
  const outputs = await session.run({
    logits: new ort.Tensor('float32', flat, [1, rows.length, vocabSize]),
    targets: new ort.Tensor('int64', new BigInt64Array(rows.length), [1, rows.length]),
  });
  await session.release();
  return outputs[REDUCTION_OUTPUTS.topkMean].data as Float32Array;
}

describe('top-k through block maxima (WebGPU)', () => {
  for (const vocabSize of [151_936, 50_257]) {
    it(`gives the float64 top-20 mean over ${vocabSize} entries, ties included`, async () => {
      const uniform = seeded(vocabSize);
      const rows = [
        // Coarse values: hundreds of ties at the 20th place.
        Float32Array.from({ length: vocabSize }, () => Math.round(uniform() * 200) / 10),
        Float32Array.from({ length: vocabSize }, () => (uniform() - 0.5) * 30),
        // The 20 largest all in one block, and in the padded last block.
        Float32Array.from({ length: vocabSize }, (_, index) => (index >= 1000 && index < 1020 ? 50 : uniform())),
        Float32Array.from({ length: vocabSize }, (_, index) => (index >= vocabSize - 20 ? 50 + index : uniform())),
      ];
      const blocked = await topMeans(rows, true);
      const whole = await topMeans(rows, false);
      rows.forEach((row, index) => {
        expect(Math.abs(blocked[index] - topMeanBySorting(row))).toBeLessThan(1e-4);
        expect(Math.abs(blocked[index] - whole[index])).toBeLessThan(1e-5);
      });
    });
  }

  it('cuts rows into blocks only on large vocabularies', () => {
    const ops = (vocabSize: number) => decodeOnnxModel(buildReductionGraph({ vocabSize, blockedTopK: true })).graph.node.map((node) => node.op_type);
    expect(ops(151_936).filter((op) => op === 'TopK')).toHaveLength(2);
    expect(ops(151_936)).toContain('ReduceMax');
    expect(ops(300).filter((op) => op === 'TopK')).toHaveLength(1);
    expect(topKBlockSize(151_936, 20)).toBe(87);
  });
});

/** x → Cos, Sin (and Sin of the same input again, as graphs that share the angles have). */
function trigModel(): Uint8Array {
  const b = new OnnxGraphBuilder();
  b.reserveName('x');
  b.node('Cos', ['x'], {}, { outputs: ['cos'] });
  b.node('Sin', ['x'], {}, { outputs: ['sin'] });
  const model = {
    ir_version: 8,
    opset_import: [{ domain: '', version: 17 }],
    producer_name: 'test',
    producer_version: '1',
    doc_string: '',
    graph: {
      name: 'trig',
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo('x', OnnxDataType.FLOAT, ['n'])],
      output: [valueInfo('cos', OnnxDataType.FLOAT, ['n']), valueInfo('sin', OnnxDataType.FLOAT, ['n'])],
    },
  };
  return encodeOnnxModel(model as unknown as OnnxModel);
}

describe('Cos / Sin in exact arithmetic (WebGPU)', () => {
  it('matches Math.cos / Math.sin within 1e-6 on angles up to 20,000 rad, with no Cos or Sin left', async () => {
    const bytes = trigModel();
    const edit = exactTrigEdit(graphNodes(bytes))!;
    expect([...edit.dropNodes]).toEqual([0, 1]);
    const edited = editModelGraph(bytes, { dropNodes: edit.dropNodes }, edit.fragment);
    const ops = decodeOnnxModel(edited).graph.node.map((node) => node.op_type);
    expect(ops).not.toContain('Cos');
    expect(ops).not.toContain('Sin');

    const uniform = seeded(5);
    const angles = Float32Array.from({ length: 200_000 }, (_, index) => (index < 100_000 ? (uniform() - 0.5) * 8 : (uniform() - 0.5) * 40_000));
    // Quadrant edges, where k = round(x · 2/π) changes.
    for (let q = -8; q <= 8; q++) angles.set([(q * Math.PI) / 4, (q * Math.PI) / 2], 2 * (q + 8));
    const session = await ort.InferenceSession.create(edited);
    const outputs = await session.run({ x: new ort.Tensor('float32', angles, [angles.length]) });
    await session.release();
    const cos = outputs.cos.data as Float32Array;
    const sin = outputs.sin.data as Float32Array;
    let worst = 0;
    angles.forEach((angle, index) => {
      worst = Math.max(worst, Math.abs(cos[index] - Math.cos(angle)), Math.abs(sin[index] - Math.sin(angle)));
    });
    expect(worst).toBeLessThan(1e-6);
  });

  it('leaves a graph without Cos or Sin alone', () => {
    expect(exactTrigEdit([{ index: 0, opType: 'MatMul', domain: '', inputs: ['a', 'b'], outputs: ['c'], intAttributes: {} }])).toBeNull();
  });
});
