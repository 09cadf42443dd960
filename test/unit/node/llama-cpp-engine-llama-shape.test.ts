/**
 * The llama.cpp engine on a SiLU model: a seeded Llama-shape model (RMSNorm, rotary positions,
 * grouped-query attention, SwiGLU, tied head; lab/model-builder) written both as the ONNX folder the
 * product's engine loads and as a `llama` GGUF file (lab/model-builder/llama-gguf.ts). With no GELU
 * in the way, llama.cpp on the CPU equals the ONNX engine within 1e-4 per token (log-prob, entropy,
 * top-20 mean), over a 250-token sequence and through ranges with the shared prefix reused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPECIAL_TOKEN_IDS, randomLlamaWeights } from '../../../lab/model-builder';
import type { ScoringEngine } from '../../../src/core/engine';
import { createTransformersEngine } from '../../../src/core/engine/transformers';
import { createLlamaCppEngine } from '../../../src/node/llama-cpp-engine';
import { nodeModelFiles } from '../../../src/node/model-files';
import { SMALL_LLAMA_SHAPE, writeLlamaShapeModel } from '../../../tools/llama-shape-model';

const config = SMALL_LLAMA_SHAPE;
const weights = randomLlamaWeights(config, 11);
const modelId = 'llama-shape-gguf';
const tokens = Array.from({ length: 250 }, (_, index) => (index === 0 ? SPECIAL_TOKEN_IDS.bos : 4 + ((index * 97 + 13) % (config.vocabSize - 4))));
let root: string;
let onnx: ScoringEngine;
let llama: ScoringEngine;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'llama-cpp-llama-shape-'));
  const gguf = await writeLlamaShapeModel(root, modelId, weights);
  onnx = await createTransformersEngine({ files: nodeModelFiles, modelId, localModelPath: root, dtype: 'fp32', device: 'cpu' });
  llama = await createLlamaCppEngine({ modelPath: gguf, gpu: false, threads: 1 });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([onnx?.dispose(), llama?.dispose()]);
  if (root) await rm(root, { recursive: true, force: true });
});

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('llama.cpp engine on a Llama-shape (SiLU) GGUF', () => {
  it('equals the ONNX engine within 1e-4 per token: log-prob, entropy, top-20 mean', async () => {
    expect(llama.description).toBe('llama.cpp/cpu/ALL_F32');
    expect(llama.maxContext).toBe(config.maxPositions);
    const ranges = [{ start: 1, end: tokens.length }];
    const [fromLlama] = await llama.score(tokens, ranges);
    const [fromOnnx] = await onnx.score(tokens, ranges);
    expect(maxDifference(fromLlama.logprob, fromOnnx.logprob)).toBeLessThan(1e-4);
    expect(maxDifference(fromLlama.entropy, fromOnnx.entropy)).toBeLessThan(1e-4);
    expect(maxDifference(fromLlama.topkMean, fromOnnx.topkMean)).toBeLessThan(1e-4);
    // Not uniform: the figures tell tokens apart.
    expect(Math.max(...Array.from(fromOnnx.logprob.subarray(0, 50))) - Math.min(...Array.from(fromOnnx.logprob.subarray(0, 50)))).toBeGreaterThan(1);
  }, 60_000);

  it('gives the same figures for ranges of a sequence sharing a prefix with the one before (cache reused)', async () => {
    const other = [...tokens.slice(0, 120), ...tokens.slice(120).reverse()];
    const ranges = [{ start: 100, end: 140 }, { start: 200, end: 250 }];
    await llama.score(tokens, [{ start: 1, end: tokens.length }], { reusePrefix: true });
    const reused = await llama.score(other, ranges, { reusePrefix: true });
    const fresh = await onnx.score(other, ranges);
    ranges.forEach((_, index) => expect(maxDifference(reused[index].logprob, fresh[index].logprob)).toBeLessThan(1e-4));
    await llama.releasePrefixCache();
  }, 60_000);
});
