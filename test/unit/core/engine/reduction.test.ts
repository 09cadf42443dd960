import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeOnnxModel, toFloat16Bits, float16BitsToNumber } from '../../../../src/core/onnx';
import type { OrtSessionFactory, OrtTensorConstructor } from '../../../../src/core/engine/ort-types';
import { LogitReducer, REDUCTION_OUTPUTS, buildReductionGraph } from '../../../../src/core/engine/reduction';
import { TOP_K } from '../../../../src/core/engine/types';
import { independentFigures, maxAbsDifference } from './helpers';

const sessionFactory = ort.InferenceSession as unknown as OrtSessionFactory;
const Tensor = ort.Tensor as unknown as OrtTensorConstructor;

function seededLogits(rows: number, vocab: number, seed: number, scale: number): Float32Array[] {
  let state = seed;
  const uniform = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  return Array.from({ length: rows }, () => Float32Array.from({ length: vocab }, () => (uniform() - 0.5) * scale));
}

async function reduceRows(rows: Float32Array[], targets: number[], logitsType: 'float32' | 'float16' = 'float32') {
  const vocab = rows[0].length;
  const reducer = await LogitReducer.create(sessionFactory, Tensor, { vocabSize: vocab, logitsType, executionProviders: ['cpu'] });
  try {
    const flat = new Float32Array(rows.length * vocab);
    rows.forEach((row, index) => flat.set(row, index * vocab));
    const data = logitsType === 'float16' ? toFloat16Bits(flat) : flat;
    const logits = new Tensor(logitsType, data, [1, rows.length, vocab]);
    return await reducer.reduce(logits, BigInt64Array.from(targets, BigInt));
  } finally {
    await reducer.release();
  }
}

describe('reduction graph', () => {
  it('declares logits/targets inputs, three [batch, sequence] outputs and only the listed ops', () => {
    const model = decodeOnnxModel(buildReductionGraph({ vocabSize: 300 }));
    expect(model.graph.input.map((input) => input.name)).toEqual(['logits', 'targets']);
    expect(model.graph.output.map((output) => output.name)).toEqual(Object.values(REDUCTION_OUTPUTS));
    const ops = new Set(model.graph.node.map((node) => node.op_type));
    expect([...ops].sort()).toEqual(['Exp', 'GatherElements', 'LogSoftmax', 'Max', 'Mul', 'Neg', 'ReduceMean', 'ReduceSum', 'Squeeze', 'TopK', 'Unsqueeze']);
  });

  it('matches float64 log-softmax, entropy and top-20 mean on the CPU within 1e-5', async () => {
    const vocab = 300;
    const rows = seededLogits(6, vocab, 11, 8);
    const targets = [0, 5, 299, 17, 150, 42];
    const reduced = await reduceRows(rows, targets);
    // independentFigures reads targets as "the token after each position".
    const expected = independentFigures(rows, [0, ...targets]);
    expect(maxAbsDifference(reduced.logprob, expected.logprob)).toBeLessThan(1e-5);
    expect(maxAbsDifference(reduced.entropy, expected.entropy)).toBeLessThan(1e-5);
    expect(maxAbsDifference(reduced.topkMean, expected.topkMean)).toBeLessThan(1e-5);
    // Sanity of the statistics themselves: entropy within [0, ln V], top-20 mean above the target's log-prob on average.
    for (const entropy of reduced.entropy) expect(entropy).toBeGreaterThan(0);
    for (const entropy of reduced.entropy) expect(entropy).toBeLessThan(Math.log(vocab));
  });

  it('averages all log-probs when the vocabulary is smaller than 20', async () => {
    const rows = seededLogits(2, 7, 3, 4);
    const reduced = await reduceRows(rows, [1, 6]);
    const expected = independentFigures(rows, [0, 1, 6]);
    expect(TOP_K).toBe(20);
    expect(maxAbsDifference(reduced.topkMean, expected.topkMean)).toBeLessThan(1e-5);
  });

  it('casts float16 logits to float32 first', async () => {
    const rows = seededLogits(3, 64, 5, 6);
    const reduced = await reduceRows(rows, [3, 9, 27], 'float16');
    // The reference sees the same float16-rounded logits.
    const rounded = rows.map((row) => Float32Array.from(toFloat16Bits(row), float16BitsToNumber));
    const expected = independentFigures(rounded, [0, 3, 9, 27]);
    expect(maxAbsDifference(reduced.logprob, expected.logprob)).toBeLessThan(1e-5);
    expect(maxAbsDifference(reduced.entropy, expected.entropy)).toBeLessThan(1e-5);
    expect(maxAbsDifference(reduced.topkMean, expected.topkMean)).toBeLessThan(1e-5);
  });

  it('gives a finite entropy when some logits are −∞ (masked vocabulary entries)', async () => {
    const row = Float32Array.from([1, 2, -Infinity, 0.5, -Infinity, 3]);
    const reduced = await reduceRows([row], [1]);
    const finite = Float32Array.from([1, 2, 0.5, 3]);
    const expected = independentFigures([finite], [0, 1]);
    expect(Number.isFinite(reduced.entropy[0])).toBe(true);
    expect(reduced.entropy[0]).toBeCloseTo(expected.entropy[0], 6);
    expect(reduced.logprob[0]).toBeCloseTo(expected.logprob[0], 6);
    // With fewer than 20 entries the top-k mean includes the −∞ ones.
    expect(reduced.topkMean[0]).toBe(-Infinity);
  });

  it('rejects logits whose shape does not match the targets', async () => {
    const reducer = await LogitReducer.create(sessionFactory, Tensor, { vocabSize: 8, executionProviders: ['cpu'] });
    try {
      const logits = new Tensor('float32', new Float32Array(16), [1, 2, 8]);
      await expect(reducer.reduce(logits, new BigInt64Array(3))).rejects.toThrow('do not match [1, 3, 8]');
    } finally {
      await reducer.release();
    }
  });
});
