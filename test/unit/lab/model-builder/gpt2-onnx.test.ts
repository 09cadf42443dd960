import * as ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GPT2_WEIGHT_FORMATS,
  buildGpt2Onnx,
  decodeOnnxModel,
  pastKeyValueName,
  presentKeyValueName,
  randomGpt2Weights,
  type Gpt2Config,
  type Gpt2WeightFormat,
} from '../../../../lab/model-builder';
import { effectiveWeights, maxAbsDifference, referenceGpt2Logits } from './reference-gpt2';

// Width 48 with 3 heads (head_dim 16) keeps K = 48 off a multiple of the 4-bit block size (32), so the padding
// path of MatMulNBits is exercised; the MLP's K = 192 is a whole number of blocks.
const config: Gpt2Config = { vocabSize: 97, contextLength: 24, embeddingDim: 48, layerCount: 2, headCount: 3 };
const weights = randomGpt2Weights(config, 20240607);
const headDim = config.embeddingDim / config.headCount;
const prompt = [5, 17, 42, 8, 96, 3, 61, 29, 11, 70];

type Feeds = Record<string, ort.Tensor>;

const int64 = (rows: readonly (readonly number[])[]) =>
  new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (value) => BigInt(value)), [rows.length, rows[0].length]);

function emptyPast(batch: number): Feeds {
  const feeds: Feeds = {};
  for (let layer = 0; layer < config.layerCount; layer++) {
    for (const kind of ['key', 'value'] as const) {
      feeds[pastKeyValueName(layer, kind)] = new ort.Tensor('float32', new Float32Array(0), [batch, config.headCount, 0, headDim]);
    }
  }
  return feeds;
}

function presentsAsPast(outputs: ort.InferenceSession.OnnxValueMapType): Feeds {
  const feeds: Feeds = {};
  for (let layer = 0; layer < config.layerCount; layer++) {
    for (const kind of ['key', 'value'] as const) feeds[pastKeyValueName(layer, kind)] = outputs[presentKeyValueName(layer, kind)] as ort.Tensor;
  }
  return feeds;
}

/** Logits row for (batch, position) of a [batch, sequence, vocab] output. */
function logitsRow(logits: ort.Tensor, batch: number, position: number): Float32Array {
  const [, sequence, vocab] = logits.dims;
  const data = logits.data as Float32Array;
  const start = (batch * sequence + position) * vocab;
  return data.subarray(start, start + vocab);
}

const sessions = new Map<Gpt2WeightFormat, ort.InferenceSession>();

beforeAll(async () => {
  for (const format of GPT2_WEIGHT_FORMATS) {
    sessions.set(format, await ort.InferenceSession.create(buildGpt2Onnx(config, weights, { weightFormat: format })));
  }
});

async function runPrompt(format: Gpt2WeightFormat, tokens: readonly number[], session = sessions.get(format)!) {
  return session.run({
    input_ids: int64([tokens]),
    attention_mask: int64([tokens.map(() => 1)]),
    position_ids: int64([tokens.map((_, index) => index)]),
    ...emptyPast(1),
  });
}

describe('buildGpt2Onnx graph', () => {
  it('declares the transformers.js gpt2 inputs and outputs with fixed head dims', async () => {
    const session = sessions.get('fp32')!;
    expect(session.inputNames).toEqual([
      'input_ids',
      'attention_mask',
      'position_ids',
      'past_key_values.0.key',
      'past_key_values.0.value',
      'past_key_values.1.key',
      'past_key_values.1.value',
    ]);
    expect(session.outputNames).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
    const pastKey = session.inputMetadata.find((meta) => meta.name === 'past_key_values.0.key');
    expect(pastKey && 'shape' in pastKey ? pastKey.shape : undefined).toEqual(['batch_size', config.headCount, 'past_sequence_length', headDim]);
  });

  it('uses MatMulNBits (4 bits, block 32) only in the q4 form, and com.microsoft only there', () => {
    const q4 = decodeOnnxModel(buildGpt2Onnx(config, weights, { weightFormat: 'q4' }));
    const matMulNBits = q4.graph.node.filter((node) => node.op_type === 'MatMulNBits');
    // Per layer: c_attn, attn c_proj, c_fc, mlp c_proj; plus the tied LM head.
    expect(matMulNBits).toHaveLength(4 * config.layerCount + 1);
    const attributes = (name: string) => Object.fromEntries(matMulNBits.find((node) => node.name.startsWith(name))!.attribute.map((a) => [a.name, a.i]));
    expect(attributes('h.0/attn/c_attn')).toEqual({ K: 48, N: 144, bits: 4, block_size: 32 });
    expect(attributes('lm_head')).toEqual({ K: 48, N: config.vocabSize, bits: 4, block_size: 32 });
    expect(q4.opset_import).toEqual([{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }]);

    const fp32 = decodeOnnxModel(buildGpt2Onnx(config, weights));
    expect(fp32.opset_import).toEqual([{ domain: '', version: 17 }]);
    expect(fp32.graph.node.some((node) => node.domain === 'com.microsoft')).toBe(false);
  });

  it('is deterministic for a given seed and differs across seeds', () => {
    const again = buildGpt2Onnx(config, randomGpt2Weights(config, 20240607));
    expect(Buffer.from(again).equals(Buffer.from(buildGpt2Onnx(config, weights)))).toBe(true);
    const other = buildGpt2Onnx(config, randomGpt2Weights(config, 1));
    expect(Buffer.from(other).equals(Buffer.from(again))).toBe(false);
  });

  it('rejects weights that do not match the config', () => {
    const broken = { ...weights, finalNormBias: new Float32Array(3) };
    expect(() => buildGpt2Onnx(config, broken)).toThrow(/finalNormBias/);
    expect(() => buildGpt2Onnx({ ...config, headCount: 5 }, weights)).toThrow(/headCount/);
  });
});

describe('GPT-2 ONNX numerics (onnxruntime-node)', () => {
  it('fp32 logits match an independent float64 forward pass within 1e-4', async () => {
    const outputs = await runPrompt('fp32', prompt);
    const reference = referenceGpt2Logits(config, weights, prompt);
    expect(outputs.logits.dims).toEqual([1, prompt.length, config.vocabSize]);
    let maxError = 0;
    prompt.forEach((_, position) => {
      maxError = Math.max(maxError, maxAbsDifference(logitsRow(outputs.logits as ort.Tensor, 0, position), reference[position]));
    });
    expect(maxError).toBeLessThan(1e-4);
    // The logits are far from flat, so a 1e-4 agreement is a meaningful check.
    expect(Math.max(...reference[0]) - Math.min(...reference[0])).toBeGreaterThan(5);
  });

  it.each(['fp16', 'q8', 'q4'] as const)('%s graph computes exactly with its stored (dequantized) weights', async (format) => {
    // At its default (extended) level, ONNX Runtime CPU rewrites q8's DequantizeLinear → MatMul into an 8-bit
    // MatMulNBits with int8 activations (accuracy_level 4), which adds activation rounding; 'basic' keeps the
    // graph's own float math so the stored weights can be checked exactly.
    const session =
      format === 'q8'
        ? await ort.InferenceSession.create(buildGpt2Onnx(config, weights, { weightFormat: format }), { graphOptimizationLevel: 'basic' })
        : sessions.get(format)!;
    const outputs = await runPrompt(format, prompt, session);
    const reference = referenceGpt2Logits(config, effectiveWeights(config, weights, format), prompt);
    let maxError = 0;
    prompt.forEach((_, position) => {
      maxError = Math.max(maxError, maxAbsDifference(logitsRow(outputs.logits as ort.Tensor, 0, position), reference[position]));
    });
    expect(maxError).toBeLessThan(1e-4);
  });

  it('continues from a KV cache exactly like a single pass (prefix, chunk, then single tokens)', async () => {
    const session = sessions.get('fp32')!;
    const onePass = await runPrompt('fp32', prompt);

    const prefixLength = 4;
    const chunkEnd = 7;
    let step = await runPrompt('fp32', prompt.slice(0, prefixLength));
    const continuations: Array<{ start: number; end: number; logits: ort.Tensor }> = [
      { start: 0, end: prefixLength, logits: step.logits as ort.Tensor },
    ];
    const segments: Array<[number, number]> = [[prefixLength, chunkEnd]];
    for (let position = chunkEnd; position < prompt.length; position++) segments.push([position, position + 1]);
    for (const [start, end] of segments) {
      step = await session.run({
        input_ids: int64([prompt.slice(start, end)]),
        attention_mask: int64([prompt.slice(0, end).map(() => 1)]),
        position_ids: int64([prompt.slice(start, end).map((_, index) => start + index)]),
        ...presentsAsPast(step),
      });
      expect(step[presentKeyValueName(1, 'value')].dims).toEqual([1, config.headCount, end, headDim]);
      continuations.push({ start, end, logits: step.logits as ort.Tensor });
    }

    let maxError = 0;
    for (const { start, end, logits } of continuations) {
      for (let position = start; position < end; position++) {
        maxError = Math.max(maxError, maxAbsDifference(logitsRow(logits, 0, position - start), logitsRow(onePass.logits as ort.Tensor, 0, position)));
      }
    }
    expect(maxError).toBeLessThan(1e-5);
    // The final cache holds every position, identical to the one-pass cache.
    expect(maxAbsDifference(step[presentKeyValueName(0, 'key')].data as Float32Array, onePass[presentKeyValueName(0, 'key')].data as Float32Array)).toBeLessThan(1e-5);
  });

  it('handles a left-padded batch through attention_mask and position_ids', async () => {
    const short = prompt.slice(0, 6);
    const padding = prompt.length - short.length;
    const paddedRow = [...Array(padding).fill(0), ...short];
    const maskRow = [...Array(padding).fill(0), ...short.map(() => 1)];
    // transformers.js' rule: cumsum(mask) − 1, with padded slots set to 1.
    const positionRow = maskRow.map((isReal, index) => (isReal ? index - padding : 1));
    const outputs = await sessions.get('fp32')!.run({
      input_ids: int64([paddedRow, prompt]),
      attention_mask: int64([maskRow, prompt.map(() => 1)]),
      position_ids: int64([positionRow, prompt.map((_, index) => index)]),
      ...emptyPast(2),
    });
    const logits = outputs.logits as ort.Tensor;
    expect(Array.from(logits.data as Float32Array).every(Number.isFinite)).toBe(true);
    const shortReference = referenceGpt2Logits(config, weights, short);
    const fullReference = referenceGpt2Logits(config, weights, prompt);
    let maxError = 0;
    short.forEach((_, index) => {
      maxError = Math.max(maxError, maxAbsDifference(logitsRow(logits, 0, padding + index), shortReference[index]));
    });
    prompt.forEach((_, index) => {
      maxError = Math.max(maxError, maxAbsDifference(logitsRow(logits, 1, index), fullReference[index]));
    });
    expect(maxError).toBeLessThan(1e-4);
  });

  it('runs every form on onnxruntime-web (WASM, the browser CPU path) with the same numerics', async () => {
    ortWeb.env.wasm.numThreads = 1;
    const tokens = prompt.slice(0, 6);
    const int64Web = (values: readonly number[]) =>
      new ortWeb.Tensor('int64', BigInt64Array.from(values, (value) => BigInt(value)), [1, values.length]);
    for (const format of GPT2_WEIGHT_FORMATS) {
      const session = await ortWeb.InferenceSession.create(buildGpt2Onnx(config, weights, { weightFormat: format }));
      const feeds: Record<string, ortWeb.Tensor> = {
        input_ids: int64Web(tokens),
        attention_mask: int64Web(tokens.map(() => 1)),
        position_ids: int64Web(tokens.map((_, index) => index)),
      };
      for (const name of Object.keys(emptyPast(1))) {
        feeds[name] = new ortWeb.Tensor('float32', new Float32Array(0), [1, config.headCount, 0, headDim]);
      }
      const logits = (await session.run(feeds)).logits;
      const reference = referenceGpt2Logits(config, effectiveWeights(config, weights, format), tokens);
      const data = logits.data as Float32Array;
      let maxError = 0;
      tokens.forEach((_, position) => {
        maxError = Math.max(maxError, maxAbsDifference(data.subarray(position * config.vocabSize, (position + 1) * config.vocabSize), reference[position]));
      });
      expect(maxError, format).toBeLessThan(1e-4);
      await session.release();
    }
  });
});
