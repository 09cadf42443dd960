/**
 * The reduction fused into a model's graph: the fragment appended by protobuf concatenation, the
 * model's own graph edited at the wire level (outputs dropped, the LM head cut to the scored rows).
 * The fused session gives the float64 figures of the gathered positions, in every weight format,
 * with and without the cut; the opset, nodes and initializers are read without decoding weights.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GPT2_WEIGHT_FORMATS, buildGpt2Onnx, decodeOnnxModel, encodeOnnxModel, randomGpt2Weights, type Gpt2WeightFormat } from '../../../../lab/model-builder';
import { defaultOpsetOf, editModelGraph, graphNodes, initializerNames } from '../../../../src/core/engine/graph-edit';
import {
  FUSED_REDUCTION_INPUTS,
  FUSED_REDUCTION_OUTPUTS,
  buildFusedReductionFragment,
  fuseReductionIntoModel,
  headCutOf,
  newCacheRowsName,
  type HeadCut,
} from '../../../../src/core/engine/reduction';
import { independentFigures, maxAbsDifference, randomTokenIds } from './helpers';

const config = { vocabSize: 97, contextLength: 64, embeddingDim: 16, layerCount: 1, headCount: 2 };
const weights = randomGpt2Weights(config, 5);
const modelBytes = buildGpt2Onnx(config, weights);
const headDim = config.embeddingDim / config.headCount;
const cacheLinks = ['key', 'value'].map((kind) => ({ past: `past_key_values.0.${kind}`, present: `present.0.${kind}`, sequenceAxis: 2, type: 'float32', rank: 4 }));
const int64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);

/** Feeds for `tokens` after `pastLength` cached positions (seeded past values). */
function modelFeeds(tokens: number[], pastLength = 0): Record<string, ort.Tensor> {
  const past = (seed: number) =>
    new ort.Tensor('float32', Float32Array.from({ length: config.headCount * pastLength * headDim }, (_, index) => Math.sin(seed + index)), [1, config.headCount, pastLength, headDim]);
  return {
    input_ids: int64(tokens, [1, tokens.length]),
    attention_mask: int64(Array(pastLength + tokens.length).fill(1), [1, pastLength + tokens.length]),
    position_ids: int64(tokens.map((_, index) => pastLength + index), [1, tokens.length]),
    'past_key_values.0.key': past(1),
    'past_key_values.0.value': past(2),
  };
}

function headCutIn(bytes: Uint8Array): HeadCut | null {
  return headCutOf(graphNodes(bytes), initializerNames(bytes));
}

describe('reading a model without decoding its weights', () => {
  it('reads the default-domain opset from the top-level fields only', () => {
    expect(defaultOpsetOf(modelBytes)).toBe(17);
    const old = encodeOnnxModel({ ...decodeOnnxModel(modelBytes), opset_import: [{ domain: 'com.microsoft', version: 1 }, { domain: '', version: 12 }] });
    expect(defaultOpsetOf(old)).toBe(12);
    expect(defaultOpsetOf(new Uint8Array([0x0a, 0xff]))).toBeNull();
  });

  it('lists nodes and initializers as the decoder does', () => {
    const decoded = decodeOnnxModel(modelBytes);
    const nodes = graphNodes(modelBytes);
    expect(nodes.map((node) => [node.opType, node.inputs, node.outputs])).toEqual(decoded.graph.node.map((node) => [node.op_type, node.input, node.output]));
    expect(initializerNames(modelBytes)).toEqual(new Set(decoded.graph.initializer.map((tensor) => tensor.name)));
    expect(nodes.find((node) => node.opType === 'Gemm')?.intAttributes).toEqual({ transB: 1 });
  });

  it('drops graph outputs and renames node inputs, copying everything else; refuses bytes with no graph', async () => {
    const nodes = graphNodes(modelBytes);
    const gemm = nodes.find((node) => node.opType === 'Gemm')!;
    const edited = editModelGraph(modelBytes, { dropOutputs: new Set(['present.0.value']), nodeInputs: new Map([[gemm.index, new Map([[0, 'renamed_rows']])]]) });
    const decoded = decodeOnnxModel(edited);
    expect(decoded.graph.output.map((output) => output.name)).toEqual(['logits', 'present.0.key']);
    expect(decoded.graph.node[gemm.index].input).toEqual(['renamed_rows', ...gemm.inputs.slice(1)]);
    expect(decoded.graph.initializer.length).toBe(decodeOnnxModel(modelBytes).graph.initializer.length);
    const session = await ort.InferenceSession.create(editModelGraph(modelBytes, { dropOutputs: new Set(['present.0.value']) }));
    expect(session.outputNames).toEqual(['logits', 'present.0.key']);
    await session.release();
    expect(() => editModelGraph(new Uint8Array([0x08, 0x08]), {})).toThrow('not an ONNX model: no graph field');
  });
});

describe('the LM head cut to the scored rows', () => {
  it('is found through the builder’s Reshape ← Gemm (fp32, fp16, q8) and at its MatMulNBits (q4)', () => {
    for (const format of GPT2_WEIGHT_FORMATS) {
      const cut = headCutIn(buildGpt2Onnx(config, weights, { weightFormat: format }));
      expect(cut, format).not.toBeNull();
      expect(cut!.matMul.opType, format).toBe(format === 'q4' ? 'MatMulNBits' : 'Gemm');
      expect(cut!.reshape?.opType ?? null, format).toBe(format === 'q4' ? null : 'Reshape');
    }
  });

  it('is not found when the logits come from anything but a product of activations', () => {
    const decoded = decodeOnnxModel(modelBytes);
    // An Add after the head (a bias, say) is not a shape-preserving hop the walk takes.
    const withBias = encodeOnnxModel({
      ...decoded,
      graph: {
        ...decoded.graph,
        node: [
          ...decoded.graph.node.map((node) => ({ ...node, output: node.output.map((name) => (name === 'logits' ? 'head_out' : name)) })),
          { name: 'bias/node', op_type: 'Add', input: ['head_out', 'head_out'], output: ['logits'], attribute: [] },
        ],
      },
    });
    expect(headCutIn(withBias)).toBeNull();
    // A product whose first input is a weight: cutting its rows would cut the vocabulary.
    const nodes = graphNodes(modelBytes);
    const gemm = nodes.find((node) => node.opType === 'Gemm')!;
    expect(headCutOf(nodes, new Set([gemm.inputs[0]]))).toBeNull();
    expect(headCutOf(nodes, new Set(), 'no_such_output')).toBeNull();
  });
});

describe('fused reduction', () => {
  it('appends only graph nodes: the runtime sees the model inputs plus the reduction ones, and the reduction outputs instead of logits', async () => {
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
      // logits stop being an output (an output is kept alive to the end of the run, fetched or not).
      expect(fused.outputNames).toEqual([...original.outputNames.filter((name) => name !== 'logits'), ...Object.values(FUSED_REDUCTION_OUTPUTS)]);
    } finally {
      await original.release();
      await fused.release();
    }
  });

  it.each(GPT2_WEIGHT_FORMATS.flatMap((format) => [
    [format, false],
    [format, true],
  ]) as [Gpt2WeightFormat, boolean][])('%s, head cut %s: gives the plain session’s figures of the gathered positions within 1e-5', async (format, cut) => {
    const bytes = buildGpt2Onnx(config, weights, { weightFormat: format });
    const headCut = cut ? headCutIn(bytes) : null;
    expect(headCut !== null).toBe(cut);
    const plain = await ort.InferenceSession.create(bytes);
    const session = await ort.InferenceSession.create(fuseReductionIntoModel(bytes, { vocabSize: config.vocabSize, headCut }));
    try {
      const tokens = randomTokenIds(30, config.vocabSize, 2);
      const positions = [3, 4, 5, 17, 28];
      const logits = (await plain.run(modelFeeds(tokens), ['logits'])).logits.data as Float32Array;
      const rows = positions.map((position) => logits.slice(position * config.vocabSize, (position + 1) * config.vocabSize));
      const expected = independentFigures(rows, [0, ...positions.map((position) => tokens[position + 1])]);
      const outputs = await session.run(
        {
          ...modelFeeds(tokens),
          [FUSED_REDUCTION_INPUTS.positions]: int64(positions, [positions.length]),
          [FUSED_REDUCTION_INPUTS.targets]: int64(positions.map((position) => tokens[position + 1]), [1, positions.length]),
        },
        Object.values(FUSED_REDUCTION_OUTPUTS),
      );
      expect(outputs[FUSED_REDUCTION_OUTPUTS.targetLogprob].dims).toEqual([1, positions.length]);
      expect(maxAbsDifference(outputs[FUSED_REDUCTION_OUTPUTS.targetLogprob].data as Float32Array, expected.logprob)).toBeLessThan(1e-5);
      expect(maxAbsDifference(outputs[FUSED_REDUCTION_OUTPUTS.entropy].data as Float32Array, expected.entropy)).toBeLessThan(1e-5);
      expect(maxAbsDifference(outputs[FUSED_REDUCTION_OUTPUTS.topkMean].data as Float32Array, expected.topkMean)).toBeLessThan(1e-5);
    } finally {
      await session.release();
      await plain.release();
    }
  });

  it('with cache links, gives each run’s new cache rows (the present tensor past the past length) instead of the present tensors', async () => {
    const session = await ort.InferenceSession.create(fuseReductionIntoModel(modelBytes, { vocabSize: config.vocabSize, cacheLinks, headCut: headCutIn(modelBytes) }));
    const plain = await ort.InferenceSession.create(modelBytes);
    try {
      // The present tensors become intermediates (so each is freed once read).
      expect(session.outputNames).toEqual([...Object.values(FUSED_REDUCTION_OUTPUTS), ...cacheLinks.map((link) => newCacheRowsName(link.present))]);
      const tokens = randomTokenIds(3, config.vocabSize, 4);
      const pastLength = 5;
      const outputs = await session.run(
        { ...modelFeeds(tokens, pastLength), [FUSED_REDUCTION_INPUTS.positions]: int64([0], [1]), [FUSED_REDUCTION_INPUTS.targets]: int64([tokens[1]], [1, 1]) },
        cacheLinks.map((link) => newCacheRowsName(link.present)),
      );
      const plainOutputs = await plain.run(modelFeeds(tokens, pastLength), cacheLinks.map((link) => link.present));
      for (const link of cacheLinks) {
        const present = plainOutputs[link.present];
        const rows = outputs[newCacheRowsName(link.present)];
        const length = pastLength + tokens.length;
        expect(present.dims).toEqual([1, config.headCount, length, headDim]);
        expect(rows.dims).toEqual([1, config.headCount, tokens.length, headDim]);
        const full = present.data as Float32Array;
        const expected = Array.from({ length: config.headCount }, (_, head) => Array.from(full.subarray((head * length + pastLength) * headDim, (head + 1) * length * headDim))).flat();
        expect(Array.from(rows.data as Float32Array)).toEqual(expected);
      }
    } finally {
      await session.release();
      await plain.release();
    }
  });
});
