/**
 * The Llama / Qwen-shape graph builder against an independent float64 forward pass
 * (reference-llama.ts, written from HF's modeling code): one pass, a pass split by the KV cache,
 * both weight formats, grouped-query attention with two and three query heads per key-value head,
 * Qwen3's q/k norms, and the counts the benchmark reports (parameters, FLOPs, KV-cache bytes).
 */
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LLAMA_SHAPE_PRESETS,
  buildLlamaOnnx,
  decodeOnnxModel,
  llamaForwardFlops,
  llamaKvCacheBytesPerToken,
  llamaParameterCount,
  llamaPastName,
  llamaPresentName,
  randomLlamaWeights,
  rotaryTables,
  validateLlamaShapeConfig,
  type LlamaShapeConfig,
  type LlamaWeightFormat,
} from '../../../../lab/model-builder';
import { maxOf } from '../../../../src/core/arrays';
import { referenceLlamaLogits } from './reference-llama';

// Llama-like: 4 query heads on 2 key-value heads, head_dim 16 ≠ width / heads, and K = 48 off a
// multiple of the 4-bit block (32) so MatMulNBits' padding is exercised. θ = 10⁴ turns the
// rotary pairs visibly within a few positions.
const LLAMA: LlamaShapeConfig = {
  vocabSize: 300,
  hiddenSize: 48,
  intermediateSize: 96,
  layerCount: 2,
  headCount: 4,
  kvHeadCount: 2,
  headDim: 16,
  maxPositions: 64,
  ropeTheta: 1e4,
  rmsNormEpsilon: 1e-6,
  queryKeyNorm: false,
};
// Qwen3-like: q/k RMSNorm per head, 6 query heads on 2 key-value heads (groups of 3).
const QWEN3: LlamaShapeConfig = { ...LLAMA, vocabSize: 257, hiddenSize: 32, intermediateSize: 64, headCount: 6, kvHeadCount: 2, headDim: 8, queryKeyNorm: true };

const TOKENS = [5, 17, 42, 8, 256, 3, 61, 29, 11, 70, 100, 200, 7, 150];

type Feeds = Record<string, ort.Tensor>;
const int64 = (values: readonly number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (value) => BigInt(value)), [1, values.length]);
const range = (start: number, end: number) => Array.from({ length: end - start }, (_, index) => start + index);

function emptyPast(config: LlamaShapeConfig): Feeds {
  const feeds: Feeds = {};
  for (let layer = 0; layer < config.layerCount; layer++) {
    for (const kind of ['key', 'value'] as const) feeds[llamaPastName(layer, kind)] = new ort.Tensor('float32', new Float32Array(0), [1, config.kvHeadCount, 0, config.headDim]);
  }
  return feeds;
}

/** Runs positions [start, end) of TOKENS on top of `past`; returns logits rows and the presents as the next past. */
async function run(session: ort.InferenceSession, config: LlamaShapeConfig, start: number, end: number, past: Feeds): Promise<{ rows: Float32Array[]; next: Feeds; outputs: ort.InferenceSession.OnnxValueMapType }> {
  const outputs = await session.run({ input_ids: int64(TOKENS.slice(start, end)), attention_mask: int64(range(0, end).map(() => 1)), position_ids: int64(range(start, end)), ...past });
  const logits = outputs.logits as ort.Tensor;
  expect(logits.dims).toEqual([1, end - start, config.vocabSize]);
  const data = logits.data as Float32Array;
  const rows = range(0, end - start).map((row) => data.subarray(row * config.vocabSize, (row + 1) * config.vocabSize));
  const next: Feeds = {};
  for (let layer = 0; layer < config.layerCount; layer++) {
    for (const kind of ['key', 'value'] as const) next[llamaPastName(layer, kind)] = outputs[llamaPresentName(layer, kind)] as ort.Tensor;
  }
  return { rows, next, outputs };
}

const maxDifference = (rows: readonly Float32Array[], reference: readonly Float64Array[]): number =>
  maxOf(rows.map((row, position) => maxOf(Array.from(row, (value, index) => Math.abs(value - reference[position][index])))));

describe.each([
  ['llama (GQA 2:1)', LLAMA, 11],
  ['qwen3 (q/k norm, GQA 3:1)', QWEN3, 12],
] as const)('Llama-shape graph, %s', (_label, config, seed) => {
  const weights = randomLlamaWeights(config, seed);
  const sessions = new Map<LlamaWeightFormat, ort.InferenceSession>();
  const references = new Map<LlamaWeightFormat, Float64Array[]>();

  beforeAll(async () => {
    for (const format of ['fp32', 'q4'] as const) {
      sessions.set(format, await ort.InferenceSession.create(buildLlamaOnnx(weights, format)));
      references.set(format, referenceLlamaLogits(weights, TOKENS, format));
    }
  });

  it.each(['fp32', 'q4'] as const)('%s: one pass matches the float64 forward within 1e-4 at every position and vocabulary entry', async (format) => {
    const { rows, outputs } = await run(sessions.get(format)!, config, 0, TOKENS.length, emptyPast(config));
    const reference = references.get(format)!;
    // Logits spread over several units: the check is not passed by a near-constant output.
    expect(maxOf(reference.flatMap((row) => Array.from(row, Math.abs)))).toBeGreaterThan(3);
    expect(maxDifference(rows, reference)).toBeLessThan(1e-4);
    expect((outputs[llamaPresentName(config.layerCount - 1, 'value')] as ort.Tensor).dims).toEqual([1, config.kvHeadCount, TOKENS.length, config.headDim]);
  });

  it('q4 stores other weights than fp32: its logits differ from the fp32 reference by far more than the tolerance', () => {
    expect(maxDifference(references.get('q4')!.map((row) => Float32Array.from(row)), references.get('fp32')!)).toBeGreaterThan(1e-2);
  });

  it.each(['fp32', 'q4'] as const)('%s: three runs carrying the KV cache (5, 1 and 8 positions) give the one-pass figures', async (format) => {
    const session = sessions.get(format)!;
    const first = await run(session, config, 0, 5, emptyPast(config));
    const second = await run(session, config, 5, 6, first.next);
    const third = await run(session, config, 6, TOKENS.length, second.next);
    expect(maxDifference([...first.rows, ...second.rows, ...third.rows], references.get(format)!)).toBeLessThan(1e-4);
  });

  it('writes optimum’s layout: inputs, outputs and fixed key-value head and head_dim dims', () => {
    const graph = decodeOnnxModel(buildLlamaOnnx(weights, 'q4')).graph!;
    const names = (values: readonly { name?: string }[]) => values.map((value) => value.name);
    const cacheNames = (make: (layer: number, kind: 'key' | 'value') => string) => range(0, config.layerCount).flatMap((layer) => [make(layer, 'key'), make(layer, 'value')]);
    expect(names(graph.input ?? [])).toEqual(['input_ids', 'attention_mask', 'position_ids', ...cacheNames(llamaPastName)]);
    expect(names(graph.output ?? [])).toEqual(['logits', ...cacheNames(llamaPresentName)]);
    const pastDims = graph.input![3].type!.tensor_type!.shape!.dim!.map((dim) => ('dim_value' in dim ? dim.dim_value : dim.dim_param));
    expect(pastDims).toEqual(['batch_size', config.kvHeadCount, 'past_sequence_length', config.headDim]);
    // q4: every linear layer and the tied head are MatMulNBits, block 32, no zero-point input (symmetric).
    const products = (graph.node ?? []).filter((node) => node.op_type === 'MatMulNBits');
    expect(products).toHaveLength(7 * config.layerCount + 1);
    for (const node of products) {
      expect(node.input).toHaveLength(3);
      expect(node.attribute!.find((attribute) => attribute.name === 'block_size')!.i).toBe(32);
    }
    expect(products.at(-1)!.output).toEqual(['logits']);
  });
});

describe('Llama-shape sizes and counts', () => {
  it('0.5b is Qwen2.5-0.5B’s shape: its published 494,032,768 parameters less the q/k/v biases', () => {
    const config = LLAMA_SHAPE_PRESETS['0.5b'];
    const qkvBiases = config.layerCount * (config.headCount + 2 * config.kvHeadCount) * config.headDim;
    expect(llamaParameterCount(config) + qkvBiases).toBe(494_032_768);
  });

  it('every preset is a valid config, and the tied embedding is counted once', () => {
    for (const config of Object.values(LLAMA_SHAPE_PRESETS)) expect(() => validateLlamaShapeConfig(config)).not.toThrow();
    // By hand for the tiny Llama above: embedding 300·48; per layer q 64·48, k and v 32·48 each,
    // o 48·64, three MLP matrices 96·48, two norms 48; the final norm 48.
    const perLayer = 64 * 48 + 2 * 32 * 48 + 48 * 64 + 3 * 96 * 48 + 2 * 48;
    expect(llamaParameterCount(LLAMA)).toBe(300 * 48 + 2 * perLayer + 48);
  });

  it('FLOPs: 2 per multiply-add of every weight matrix and the head row, plus QKᵀ and AV over the keys each token attends', () => {
    // One token: 2 × (the matrices of both layers) + 2 × vocabulary × width + 4 × layers × heads × head_dim × 1 key.
    const matrices = 64 * 48 + 2 * 32 * 48 + 48 * 64 + 3 * 96 * 48;
    expect(llamaForwardFlops(LLAMA, 1)).toBe(2 * 2 * matrices + 2 * 300 * 48 + 4 * 2 * 4 * 16);
    // Three tokens attend 1 + 2 + 3 keys; a head cut to one row pays the head once.
    expect(llamaForwardFlops(LLAMA, 3, 1)).toBe(3 * 2 * 2 * matrices + 2 * 300 * 48 + 4 * 2 * 4 * 16 * 6);
    expect(llamaKvCacheBytesPerToken(LLAMA)).toBe(2 * 2 * 2 * 16 * 4);
  });

  it('rotary tables hold cos / sin of position · θ^(−2i/d), each half-width frequency twice', () => {
    const { cos, sin } = rotaryTables(LLAMA);
    const d = LLAMA.headDim;
    for (const [position, index] of [[0, 0], [3, 1], [63, 7]]) {
      const angle = position * 1e4 ** ((-2 * index) / d);
      for (const column of [index, index + d / 2]) {
        expect(cos[position * d + column]).toBeCloseTo(Math.cos(angle), 6);
        expect(sin[position * d + column]).toBeCloseTo(Math.sin(angle), 6);
      }
    }
  });

  it('refuses a config whose key-value heads do not divide the query heads, or an odd head_dim', () => {
    expect(() => validateLlamaShapeConfig({ ...LLAMA, kvHeadCount: 3 })).toThrow('kvHeadCount 3 must divide headCount 4');
    expect(() => validateLlamaShapeConfig({ ...LLAMA, headDim: 15 })).toThrow('headDim must be even');
  });
});
