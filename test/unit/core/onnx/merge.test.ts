/**
 * The weight merge (src/core/onnx/merge.ts) on the demo pair, against an independent computation:
 * both ONNX files decoded with the protobuf schema (onnx-proto.ts, not the merge's wire reader),
 * every float initializer merged as ref + α·(pol − ref) in float32, re-encoded, and both models run
 * through a plain onnxruntime-node session; per-token log-probs must agree within 1e-4. α = 0 must
 * give the reference's figures and α = 1 the policy's, exactly. External data, float16, quantized
 * files and mismatched graphs are covered too.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxDataType, decodeOnnxModel, encodeOnnxModel } from '../../../../src/core/onnx';
import { independentMerge, independentTiesMerge } from './independent-merge';
import { OnnxMergeError, externalDataLocations, mergeOnnxWeights, type MergeSource } from '../../../../src/core/onnx/merge';
import { concatBytes, encodeVarint, lengthDelimited, readFields, fieldBytes, valueOf } from '../../../../src/core/onnx/merge-wire';
import type { Gpt2Config } from '../../../../lab/model-builder';
import { fullLogits, independentFigures, maxAbsDifference } from '../engine/helpers';

const DEMO = resolve(__dirname, '../../../../public/models');
const demoConfig = JSON.parse(await readFile(join(DEMO, 'demo-policy/config.json'), 'utf8')) as { vocab_size: number; n_positions: number; n_embd: number; n_layer: number; n_head: number };
const config: Gpt2Config = { vocabSize: demoConfig.vocab_size, contextLength: demoConfig.n_positions, embeddingDim: demoConfig.n_embd, layerCount: demoConfig.n_layer, headCount: demoConfig.n_head };
// A token sequence over the demo vocabulary (ids ≥ 3 are words).
const tokens = Array.from({ length: 40 }, (_, index) => 3 + ((index * 17 + 5) % (config.vocabSize - 3)));

let dir: string;
const files: Record<string, Uint8Array> = {};

async function demoFile(side: 'policy' | 'reference', file: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(DEMO, `demo-${side}/onnx/${file}`)));
}

function source(side: 'policy' | 'reference', file: string, model = files[`${side}/${file}`], externalData = new Map<string, Uint8Array>()): MergeSource {
  return { label: `${side} onnx/${file}`, model, externalData };
}

/** Per-token log-probs of the sequence under a model's bytes (written to disk, one plain session). */
async function logprobsOf(name: string, bytes: Uint8Array): Promise<Float64Array> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return independentFigures(await fullLogits(path, tokens, config), tokens).logprob.subarray(0, tokens.length - 1);
}

/** The same model with every float initializer moved to `model.onnx_data` (the layout large exports use), at shuffled offsets. */
function withExternalData(model: Uint8Array, reverse: boolean): { model: Uint8Array; data: Uint8Array } {
  const fields = readFields(model);
  const graphField = fields.find((field) => field.number === 7)!;
  const graph = valueOf(model, graphField);
  const graphFields = readFields(graph);
  // Float weights only: exporters keep small integer constants (shapes) inline, and onnxruntime needs them so.
  const isFloat = (field: (typeof graphFields)[number]) => {
    const tensor = valueOf(graph, field);
    const type = readFields(tensor).find((f) => f.number === 2)!;
    return tensor[type.valueStart] === OnnxDataType.FLOAT;
  };
  const tensors = graphFields.filter((field) => field.number === 5 && isFloat(field));
  const order = reverse ? [...tensors].reverse() : tensors;
  const dataParts: Uint8Array[] = [];
  const offsets = new Map<number, { offset: number; length: number }>();
  let offset = 0;
  for (const field of order) {
    const tensor = valueOf(graph, field);
    const raw = readFields(tensor).find((f) => f.number === 9)!;
    const bytes = valueOf(tensor, raw);
    offsets.set(field.start, { offset, length: bytes.length });
    dataParts.push(bytes, new Uint8Array((64 - (bytes.length % 64)) % 64));
    offset += bytes.length + ((64 - (bytes.length % 64)) % 64);
  }
  const entry = (key: string, value: string) => lengthDelimited(13, concatBytes([...lengthDelimited(1, new TextEncoder().encode(key)), ...lengthDelimited(2, new TextEncoder().encode(value))]));
  const graphParts = graphFields.map((field) => {
    if (!offsets.has(field.start)) return fieldBytes(graph, field);
    const tensor = valueOf(graph, field);
    const kept = readFields(tensor).filter((f) => f.number !== 9).map((f) => fieldBytes(tensor, f));
    const place = offsets.get(field.start)!;
    const body = concatBytes([...kept, ...entry('location', 'model.onnx_data'), ...entry('offset', String(place.offset)), ...entry('length', String(place.length)), encodeVarint(14 * 8), encodeVarint(1)]);
    return concatBytes(lengthDelimited(5, body));
  });
  const modelParts = fields.map((field) => (field.number === 7 ? concatBytes(lengthDelimited(7, concatBytes(graphParts))) : fieldBytes(model, field)));
  return { model: concatBytes(modelParts), data: concatBytes(dataParts) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'merge-test-'));
  for (const side of ['policy', 'reference'] as const) {
    for (const file of ['model.onnx', 'model_fp16.onnx', 'model_quantized.onnx', 'model_q4.onnx']) files[`${side}/${file}`] = await demoFile(side, file);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mergeOnnxWeights on the demo pair', () => {
  it('α = 0 is the reference and α = 1 the policy, exactly (A ≡ 0 at α = 1)', async () => {
    const reference = await logprobsOf('reference.onnx', files['reference/model.onnx']);
    const policy = await logprobsOf('policy.onnx', files['policy/model.onnx']);
    expect(maxAbsDifference(reference, policy)).toBeGreaterThan(1e-3); // the two models do differ
    const atZero = mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model.onnx'), 0);
    const atOne = mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model.onnx'), 1);
    expect(maxAbsDifference(await logprobsOf('alpha0.onnx', atZero.model), reference)).toBe(0);
    expect(maxAbsDifference(await logprobsOf('alpha1.onnx', atOne.model), policy)).toBe(0);
    expect(atOne.mergedTensors).toBe(34);
    expect(atOne.copiedTensors).toBe(10);
    expect(atOne.floatTypes).toEqual(['float32']);
    expect(atOne.externalData.size).toBe(0);
  });

  it.each([0.1, 0.5, 0.9])('fp32 at α = %s equals the independent merge within 1e-4', async (alpha) => {
    const merged = mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model.onnx'), alpha);
    const ours = await logprobsOf(`ours-${alpha}.onnx`, merged.model);
    const theirs = await logprobsOf(`theirs-${alpha}.onnx`, independentMerge(files['reference/model.onnx'], files['policy/model.onnx'], alpha));
    expect(maxAbsDifference(ours, theirs)).toBeLessThan(1e-4);
    // And it lies between the two models: not the reference, not the policy.
    const reference = await logprobsOf('reference.onnx', files['reference/model.onnx']);
    expect(maxAbsDifference(ours, reference)).toBeGreaterThan(1e-4);
  });

  it('fp16 files merge in float16 (computed in float32, rounded back) and equal the independent merge within 1e-4', async () => {
    const merged = mergeOnnxWeights(source('reference', 'model_fp16.onnx'), source('policy', 'model_fp16.onnx'), 0.4);
    expect(merged.floatTypes.sort()).toEqual(['float16', 'float32']);
    const ours = await logprobsOf('ours-fp16.onnx', merged.model);
    const theirs = await logprobsOf('theirs-fp16.onnx', independentMerge(files['reference/model_fp16.onnx'], files['policy/model_fp16.onnx'], 0.4));
    expect(maxAbsDifference(ours, theirs)).toBeLessThan(1e-4);
    const atOne = mergeOnnxWeights(source('reference', 'model_fp16.onnx'), source('policy', 'model_fp16.onnx'), 1);
    expect(maxAbsDifference(await logprobsOf('fp16-alpha1.onnx', atOne.model), await logprobsOf('policy-fp16.onnx', files['policy/model_fp16.onnx']))).toBe(0);
  });

  it('external data files are merged at the reference layout and onnxruntime loads the result', async () => {
    // The reference and the policy keep their tensors at different offsets.
    const reference = withExternalData(files['reference/model.onnx'], false);
    const policy = withExternalData(files['policy/model.onnx'], true);
    expect(externalDataLocations(reference.model)).toEqual(['model.onnx_data']);
    const merged = mergeOnnxWeights(
      source('reference', 'model.onnx', reference.model, new Map([['model.onnx_data', reference.data]])),
      source('policy', 'model.onnx', policy.model, new Map([['model.onnx_data', policy.data]])),
      0.5,
    );
    expect([...merged.externalData.keys()]).toEqual(['model.onnx_data']);
    await writeFile(join(dir, 'model.onnx_data'), merged.externalData.get('model.onnx_data')!);
    const inline = mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model.onnx'), 0.5);
    expect(maxAbsDifference(await logprobsOf('model.onnx', merged.model), await logprobsOf('inline.onnx', inline.model))).toBe(0);
    // A missing data file is named.
    expect(() => mergeOnnxWeights(source('reference', 'model.onnx', reference.model), source('policy', 'model.onnx'), 0.5)).toThrow(
      /reference onnx\/model\.onnx: initializer "[^"]+": its data is in the external file model\.onnx_data, which was not found beside the model/,
    );
  });

  it('TIES (one task vector: its largest entries move) equals the independent TIES merge within 1e-4', async () => {
    const ties = mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model.onnx'), 0.5, { method: 'ties', density: 0.2 });
    const ours = await logprobsOf('ties.onnx', ties.model);
    const theirs = await logprobsOf('ties-independent.onnx', independentTiesMerge(files['reference/model.onnx'], files['policy/model.onnx'], 0.5, 0.2));
    expect(maxAbsDifference(ours, theirs)).toBeLessThan(1e-4);
    const linear = mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model.onnx'), 0.5);
    expect(maxAbsDifference(ours, await logprobsOf('linear.onnx', linear.model))).toBeGreaterThan(1e-3);
    // Density 1 keeps the whole task vector: the linear merge.
    const whole = mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model.onnx'), 0.5, { method: 'ties', density: 1 });
    expect(maxAbsDifference(await logprobsOf('ties-whole.onnx', whole.model), await logprobsOf('linear.onnx', linear.model))).toBeLessThan(1e-5);
    // At α = 1 exactly max(1, ⌊0.2·n⌋) entries of each float tensor take the policy's value.
    const atOne = decodeOnnxModel(mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model.onnx'), 1, { method: 'ties', density: 0.2 }).model);
    const reference = decodeOnnxModel(files['reference/model.onnx']);
    const policy = decodeOnnxModel(files['policy/model.onnx']);
    for (const tensor of atOne.graph.initializer.filter((t) => t.data_type === OnnxDataType.FLOAT)) {
      const values = new Float32Array(new Uint8Array(tensor.raw_data).buffer);
      const r = new Float32Array(new Uint8Array(reference.graph.initializer.find((t) => t.name === tensor.name)!.raw_data).buffer);
      const p = new Float32Array(new Uint8Array(policy.graph.initializer.find((t) => t.name === tensor.name)!.raw_data).buffer);
      const moved = values.filter((value, i) => value !== r[i]).length;
      expect(values.every((value, i) => value === r[i] || value === p[i])).toBe(true);
      expect(moved).toBeLessThanOrEqual(Math.max(1, Math.floor(0.2 * values.length)));
      expect(moved).toBeGreaterThanOrEqual(Math.floor(0.2 * values.length) - r.filter((value, i) => value === p[i]).length);
    }
    expect(() => mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model.onnx'), 0.5, { method: 'ties', density: 0 })).toThrow('the TIES density must be a number above 0 and at most 1, got 0');
  });

  it('refuses quantized files: they cannot be merged exactly', () => {
    expect(() => mergeOnnxWeights(source('reference', 'model_quantized.onnx'), source('policy', 'model_quantized.onnx'), 0.5)).toThrow(
      /^reference onnx\/model_quantized\.onnx is quantized \(node DequantizeLinear "[^"]*" is a quantized operator\): quantized weights cannot be merged exactly/,
    );
    expect(() => mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model_q4.onnx'), 0.5)).toThrow(/^policy onnx\/model_q4\.onnx is quantized \(node \w+ "[^"]*" is a quantized operator\)/);
    expect(() => mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model_q4.onnx'), 0.5)).toThrow(OnnxMergeError);
  });

  it('refuses two graphs that differ, naming the first difference', () => {
    expect(() => mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model_fp16.onnx'), 0.5)).toThrow(
      /^the two models are not one architecture \(graph input 0: the reference has "input_ids", the policy has it with other inputs, outputs or attributes\)|^the two models are not one architecture \(node 0: the reference has \w+/,
    );
    // One initializer renamed in the policy.
    const decoded = decodeOnnxModel(files['policy/model.onnx']);
    const renamed = decoded.graph.initializer.find((tensor) => tensor.data_type === OnnxDataType.FLOAT)!.name;
    const policy = encodeOnnxModel({ ...decoded, graph: { ...decoded.graph, initializer: decoded.graph.initializer.map((t) => (t.name === renamed ? { ...t, name: `${renamed}_x` } : t)) } });
    const reference = encodeOnnxModel(decodeOnnxModel(files['reference/model.onnx']));
    expect(() => mergeOnnxWeights(source('reference', 'model.onnx', reference), source('policy', 'model.onnx', policy), 0.5)).toThrow(
      `the two models are not one architecture (initializer "${renamed}" is in the reference only): reference onnx/model.onnx and policy onnx/model.onnx cannot be merged`,
    );
    // One initializer with another shape.
    const reshaped = encodeOnnxModel({ ...decoded, graph: { ...decoded.graph, initializer: decoded.graph.initializer.map((t) => (t.name === renamed ? { ...t, dims: [...t.dims, 1] } : t)) } });
    expect(() => mergeOnnxWeights(source('reference', 'model.onnx', reference), source('policy', 'model.onnx', reshaped), 0.5)).toThrow(/initializer "[^"]+" has shape \[[\d, ]+\] in the reference, \[[\d, ]+, 1\] in the policy/);
  });

  it('copies integer initializers kept in int64_data when equal, and refuses them when they differ', () => {
    // The demo's shape constants moved from raw_data to int64_data (as some exporters write them).
    const asTyped = (bytes: Uint8Array, bump: boolean) => {
      const fields = readFields(bytes);
      const graphField = fields.find((field) => field.number === 7)!;
      const graph = valueOf(bytes, graphField);
      let bumped = false;
      const parts = readFields(graph).map((field) => {
        if (field.number !== 5) return fieldBytes(graph, field);
        const tensor = valueOf(graph, field);
        const tensorFields = readFields(tensor);
        const type = tensorFields.find((f) => f.number === 2)!;
        if (tensor[type.valueStart] !== OnnxDataType.INT64) return fieldBytes(graph, field);
        const raw = valueOf(tensor, tensorFields.find((f) => f.number === 9)!);
        const values = Array.from(new BigInt64Array(raw.slice().buffer), Number);
        if (bump && !bumped) {
          values[0] += 1;
          bumped = true;
        }
        const packed = concatBytes(values.map((value) => encodeVarint(value)));
        const kept = tensorFields.filter((f) => f.number !== 9).map((f) => fieldBytes(tensor, f));
        return concatBytes(lengthDelimited(5, concatBytes([...kept, ...lengthDelimited(7, packed)])));
      });
      return concatBytes(fields.map((field) => (field.number === 7 ? concatBytes(lengthDelimited(7, concatBytes(parts))) : fieldBytes(bytes, field))));
    };
    const merged = mergeOnnxWeights(source('reference', 'model.onnx', asTyped(files['reference/model.onnx'], false)), source('policy', 'model.onnx', asTyped(files['policy/model.onnx'], false)), 0.5);
    expect(merged.copiedTensors).toBe(10);
    expect(() => mergeOnnxWeights(source('reference', 'model.onnx', asTyped(files['reference/model.onnx'], false)), source('policy', 'model.onnx', asTyped(files['policy/model.onnx'], true)), 0.5)).toThrow(
      /^initializer "[^"]+" \(ONNX type 7, not a float\) differs between reference onnx\/model\.onnx and policy onnx\/model\.onnx: only float weights are merged$/,
    );
  });

  it('refuses α outside [0, 1] and bytes that are not ONNX', () => {
    expect(() => mergeOnnxWeights(source('reference', 'model.onnx'), source('policy', 'model.onnx'), 1.5)).toThrow(/α must be a number from 0 to 1, got 1.5/);
    expect(() => mergeOnnxWeights(source('reference', 'model.onnx', new TextEncoder().encode('{"not": "onnx"}')), source('policy', 'model.onnx'), 0.5)).toThrow(
      /^reference onnx\/model\.onnx: cannot be read as ONNX/,
    );
  });
});
