/**
 * The reduction appended to a model's graph by protobuf concatenation: the session gains the
 * reduction's inputs and outputs, gives the separate reduction graph's figures for the gathered
 * positions, and the model's opset is read without decoding its weights.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildGpt2Onnx, decodeOnnxModel, encodeOnnxModel, randomGpt2Weights } from '../../../src/core/model-builder';
import { FUSED_REDUCTION_INPUTS, FUSED_REDUCTION_OUTPUTS, buildFusedReductionFragment, defaultOpsetOf, fuseReductionIntoModel, newCacheRowsName, withoutGraphOutputs } from '../../../src/core/engine/reduction';
import { independentFigures, maxAbsDifference, randomTokenIds } from './helpers';

const config = { vocabSize: 97, contextLength: 64, embeddingDim: 16, layerCount: 1, headCount: 2 };
const modelBytes = buildGpt2Onnx(config, randomGpt2Weights(config, 5));

describe('fused reduction', () => {
  it('reads the default-domain opset from the top-level fields only', () => {
    expect(defaultOpsetOf(modelBytes)).toBe(17);
    const old = encodeOnnxModel({ ...decodeOnnxModel(modelBytes), opset_import: [{ domain: 'com.microsoft', version: 1 }, { domain: '', version: 12 }] });
    expect(defaultOpsetOf(old)).toBe(12);
    expect(defaultOpsetOf(new Uint8Array([0x0a, 0xff]))).toBeNull();
  });

  it('appends only graph nodes: the runtime sees the model inputs and outputs plus the reduction ones', async () => {
    // The fragment sets no IR version, opset or graph name that would override the model's.
    const fragment = decodeOnnxModel(buildFusedReductionFragment({ vocabSize: config.vocabSize }));
    expect(fragment.ir_version ?? 0).toBe(0);
    expect(fragment.opset_import).toEqual([]);
    expect(fragment.graph.name ?? '').toBe('');
    // Its constants are prefixed: the model builder names its own constants the same way.
    expect(fragment.graph.initializer.every((tensor) => tensor.name.startsWith('pa_reduction/'))).toBe(true);
    expect(new Set(fragment.graph.node.map((node) => node.op_type))).toEqual(new Set(['Gather', 'LogSoftmax', 'Unsqueeze', 'GatherElements', 'Squeeze', 'Max', 'Exp', 'Mul', 'ReduceSum', 'Neg', 'TopK']));

    // Protobuf merges the repeated graph field (protobufjs' decoder replaces it, so the runtime is the judge).
    const original = await ort.InferenceSession.create(modelBytes);
    const fused = await ort.InferenceSession.create(fuseReductionIntoModel(modelBytes, { vocabSize: config.vocabSize }));
    try {
      expect(fused.inputNames).toEqual([...original.inputNames, ...Object.values(FUSED_REDUCTION_INPUTS)]);
      expect(fused.outputNames).toEqual([...original.outputNames, ...Object.values(FUSED_REDUCTION_OUTPUTS)]);
    } finally {
      await original.release();
      await fused.release();
    }
  });

  it('gives float64 figures of the gathered positions within 1e-5, reading 3 floats per position', async () => {
    const session = await ort.InferenceSession.create(fuseReductionIntoModel(modelBytes, { vocabSize: config.vocabSize }));
    try {
      const tokens = randomTokenIds(30, config.vocabSize, 2);
      const length = tokens.length;
      const int64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
      const positions = [3, 4, 5, 17, 28];
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64(tokens, [1, length]),
        attention_mask: int64(tokens.map(() => 1), [1, length]),
        position_ids: int64(tokens.map((_, index) => index), [1, length]),
        'past_key_values.0.key': new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 8]),
        'past_key_values.0.value': new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 8]),
        [FUSED_REDUCTION_INPUTS.positions]: int64(positions, [positions.length]),
        [FUSED_REDUCTION_INPUTS.targets]: int64(positions.map((position) => tokens[position + 1]), [1, positions.length]),
      };
      const outputs = await session.run(feeds, ['logits', ...Object.values(FUSED_REDUCTION_OUTPUTS)]);
      const logits = outputs.logits.data as Float32Array;
      const rows = positions.map((position) => logits.slice(position * config.vocabSize, (position + 1) * config.vocabSize));
      const expected = independentFigures(rows, [0, ...positions.map((position) => tokens[position + 1])]);
      expect(outputs[FUSED_REDUCTION_OUTPUTS.targetLogprob].dims).toEqual([1, positions.length]);
      expect(maxAbsDifference(outputs[FUSED_REDUCTION_OUTPUTS.targetLogprob].data as Float32Array, expected.logprob)).toBeLessThan(1e-5);
      expect(maxAbsDifference(outputs[FUSED_REDUCTION_OUTPUTS.entropy].data as Float32Array, expected.entropy)).toBeLessThan(1e-5);
      expect(maxAbsDifference(outputs[FUSED_REDUCTION_OUTPUTS.topkMean].data as Float32Array, expected.topkMean)).toBeLessThan(1e-5);
    } finally {
      await session.release();
    }
  });

  it('with cache links, gives each run’s new cache rows (the present tensor past the past length) instead of the present tensors', async () => {
    const cacheLinks = ['key', 'value'].map((kind) => ({ past: `past_key_values.0.${kind}`, present: `present.0.${kind}`, sequenceAxis: 2, type: 'float32', rank: 4 }));
    const session = await ort.InferenceSession.create(fuseReductionIntoModel(modelBytes, { vocabSize: config.vocabSize, cacheLinks }));
    const plain = await ort.InferenceSession.create(modelBytes);
    try {
      // The present tensors become intermediates (so each is freed once read); everything else stays.
      expect(session.outputNames).toEqual([
        'logits',
        ...Object.values(FUSED_REDUCTION_OUTPUTS),
        ...cacheLinks.map((link) => newCacheRowsName(link.present)),
      ]);
      const int64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
      const tokens = randomTokenIds(3, config.vocabSize, 4);
      const pastLength = 5;
      const past = (seed: number) => new ort.Tensor('float32', Float32Array.from({ length: 2 * pastLength * 8 }, (_, index) => Math.sin(seed + index)), [1, 2, pastLength, 8]);
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64(tokens, [1, 3]),
        attention_mask: int64(Array(pastLength + 3).fill(1), [1, pastLength + 3]),
        position_ids: int64([5, 6, 7], [1, 3]),
        'past_key_values.0.key': past(1),
        'past_key_values.0.value': past(2),
        [FUSED_REDUCTION_INPUTS.positions]: int64([0], [1]),
        [FUSED_REDUCTION_INPUTS.targets]: int64([tokens[1]], [1, 1]),
      };
      const outputs = await session.run(feeds, cacheLinks.map((link) => newCacheRowsName(link.present)));
      const { [FUSED_REDUCTION_INPUTS.positions]: _positions, [FUSED_REDUCTION_INPUTS.targets]: _targets, ...plainFeeds } = feeds;
      const plainOutputs = await plain.run(plainFeeds, cacheLinks.map((link) => link.present));
      for (const link of cacheLinks) {
        const present = plainOutputs[link.present];
        const rows = outputs[newCacheRowsName(link.present)];
        expect(present.dims).toEqual([1, 2, pastLength + 3, 8]);
        expect(rows.dims).toEqual([1, 2, 3, 8]);
        const full = present.data as Float32Array;
        const expected = [0, 1].flatMap((head) => Array.from(full.subarray((head * 8 + pastLength) * 8, (head * 8 + 8) * 8)));
        expect(Array.from(rows.data as Float32Array)).toEqual(expected);
      }
    } finally {
      await session.release();
      await plain.release();
    }
  });

  it('drops graph outputs by name without decoding the weights, and refuses bytes with no graph', async () => {
    const session = await ort.InferenceSession.create(withoutGraphOutputs(modelBytes, new Set(['present.0.value'])));
    try {
      expect(session.outputNames).toEqual(['logits', 'present.0.key']);
    } finally {
      await session.release();
    }
    expect(() => withoutGraphOutputs(new Uint8Array([0x08, 0x08]), new Set(['x']))).toThrow('not an ONNX model: no graph field');
  });
});
