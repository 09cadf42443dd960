/**
 * The chunk plan for given limits (chunk-plan.ts): the logits budget follows where the logits live
 * (inside an onnxruntime-node graph, inside the WASM heap, read back to JavaScript, a WebGPU
 * buffer), and it bounds the rows the LM head computes — the scored rows of a cut head — so a
 * 0.5B-shape graph scoring every token of 4,096 runs 10 passes on the CPU instead of 38.
 */
import { describe, expect, it } from 'vitest';
import {
  NATIVE_IN_GRAPH_LOGITS_BYTES,
  READ_BACK_LOGITS_BYTES,
  WASM_IN_GRAPH_LOGITS_BYTES,
  chunkPlan,
  logitsByteBudget,
  logitsRowBudget,
  type ChunkLimits,
  type LogitsPlace,
} from '../../../../../src/core/engine/transformers/chunk-plan';

const QWEN_VOCABULARY = 151_936;
const MIB = 1024 * 1024;
const node: LogitsPlace = { requestedBytes: null, gpuLimits: null, runtimeName: 'onnxruntime-node', reductionInGraph: true };
const wasm: LogitsPlace = { ...node, runtimeName: 'onnxruntime-web' };
const separate: LogitsPlace = { ...node, reductionInGraph: false };
const webgpu: LogitsPlace = { ...wasm, gpuLimits: { maxBufferSize: 2 * 1024 * MIB, maxStorageBufferBindingSize: 128 * MIB } };

/** Scores every token of a `tokens + 1`-token sequence, as the real-shape benchmark does. */
const everyToken = (tokens: number) => [{ start: 1, end: tokens + 1 }];
const lengths = (limits: ChunkLimits, tokens: number, ranges = everyToken(tokens)) => chunkPlan(0, tokens, ranges, limits).map((chunk) => chunk.length);

describe('the logits budget by where the logits live', () => {
  it('is 512 MiB in a native graph, 256 MiB in the WASM heap, 64 MiB read back, the buffer limit on WebGPU', () => {
    expect(logitsByteBudget(node)).toBe(NATIVE_IN_GRAPH_LOGITS_BYTES);
    expect(NATIVE_IN_GRAPH_LOGITS_BYTES).toBe(512 * MIB);
    expect(logitsByteBudget(wasm)).toBe(WASM_IN_GRAPH_LOGITS_BYTES);
    expect(WASM_IN_GRAPH_LOGITS_BYTES).toBe(256 * MIB);
    expect(logitsByteBudget(separate)).toBe(READ_BACK_LOGITS_BYTES);
    expect(READ_BACK_LOGITS_BYTES).toBe(64 * MIB);
    expect(logitsByteBudget(webgpu)).toBe(128 * MIB);
    expect(logitsByteBudget({ ...webgpu, gpuLimits: { maxBufferSize: 96 * MIB, maxStorageBufferBindingSize: 128 * MIB } })).toBe(96 * MIB);
  });

  it('takes the caller’s bytes on the CPU and WASM, but never above a GPU’s limits', () => {
    expect(logitsByteBudget({ ...node, requestedBytes: 10 * MIB })).toBe(10 * MIB);
    expect(logitsByteBudget({ ...separate, requestedBytes: 1024 * MIB })).toBe(1024 * MIB);
    expect(logitsByteBudget({ ...webgpu, requestedBytes: 1024 * MIB })).toBe(128 * MIB);
    expect(logitsByteBudget({ ...webgpu, requestedBytes: 32 * MIB })).toBe(32 * MIB);
  });

  it('gives rows of a 151,936-entry vocabulary: 883, 441, 110, 220 (and at least one)', () => {
    expect([node, wasm, separate, webgpu].map((place) => logitsRowBudget(logitsByteBudget(place), QWEN_VOCABULARY))).toEqual([883, 441, 110, 220]);
    expect(logitsRowBudget(1000, QWEN_VOCABULARY)).toBe(1);
  });
});

describe('the chunk plan', () => {
  const limitsAt = (place: LogitsPlace, scoredRowsOnly: boolean, attentionHeads: number | null = null): ChunkLimits => ({
    chunkSize: 512,
    logitRowsPerChunk: logitsRowBudget(logitsByteBudget(place), QWEN_VOCABULARY),
    scoredRowsOnly,
    attentionBytes: 64 * MIB,
    attentionHeads,
  });

  it('every token of 4,096 on the 0.5B shape (14 heads, head cut): 10 passes on the CPU, 11 on WASM, 19 on WebGPU (128 MiB), 38 read back', () => {
    expect(lengths(limitsAt(node, true, 14), 4096)).toEqual([512, 512, 512, 512, 474, 408, 363, 330, 305, 168]);
    expect(lengths(limitsAt(wasm, true, 14), 4096)).toEqual([441, 441, 441, 441, 441, 441, 394, 353, 322, 298, 83]);
    expect(lengths(limitsAt(webgpu, true, 14), 4096)).toEqual([...Array<number>(18).fill(220), 136]);
    const readBack = lengths(limitsAt(separate, false, 14), 4096);
    expect(readBack).toHaveLength(38);
    expect(readBack.slice(0, 37).every((length) => length === 110)).toBe(true);
  });

  it('with 8 heads the attention budget leaves 512-token chunks up to 4,096 tokens (8 passes on the CPU)', () => {
    expect(lengths(limitsAt(node, true, 8), 4096)).toEqual(Array<number>(8).fill(512));
  });

  it('ends a cut head’s chunk before the first scored row over the budget, and keeps long chunks over unscored text', () => {
    const limits: ChunkLimits = { chunkSize: 512, logitRowsPerChunk: 10, scoredRowsOnly: true, attentionBytes: null, attentionHeads: null };
    // Scored positions 0–29 and 300–309 of 400.
    const plan = chunkPlan(0, 400, [{ start: 1, end: 31 }, { start: 301, end: 311 }], limits);
    expect(plan.map(({ start, length, scored }) => [start, length, scored.length])).toEqual([
      [0, 10, 10],
      [10, 10, 10],
      [20, 280, 10],
      [300, 100, 10],
    ]);
    expect(plan[2].scored).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    // The head computes every row when it is not cut: the budget bounds the chunk.
    expect(lengths({ ...limits, scoredRowsOnly: false }, 35, [{ start: 1, end: 36 }])).toEqual([10, 10, 10, 5]);
  });

  it('starts after a reused prefix and covers every position once', () => {
    const limits = limitsAt(node, true, 14);
    const plan = chunkPlan(1000, 4096, everyToken(4096), limits);
    expect(plan[0].start).toBe(1000);
    plan.forEach((chunk, index) => expect(chunk.start).toBe(index === 0 ? 1000 : plan[index - 1].start + plan[index - 1].length));
    expect(plan.at(-1)!.start + plan.at(-1)!.length).toBe(4096);
    expect(plan.reduce((sum, chunk) => sum + chunk.scored.length, 0)).toBe(3096);
  });
});
