/**
 * Issue 15, item 2: on the real-format pairs, for every dtype, a token's figures do not depend on
 * how they were computed — the chunk size, a prefix reused from the sequence scored before, or the
 * batch and the other rows scored with it — within 1e-4. q8 (dynamic int8, whose file quantizes
 * activations over each forward pass) is made per-row by the engine (row-quantization.ts): its
 * figures equal the file's own when it is run one token at a time, as in generation. fp16's
 * softmax runs in float32 (float32-softmax.ts): onnxruntime's CPU float16 path sums it in an
 * order that depends on the number of keys, which moved Llama 3's figures by 1.5e-4.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  REALFORMAT_ROOT,
  FP16_WITH_FLOAT32_LOGITS,
  absoluteDifferences,
  expectedLines,
  plainSessionLogprobs,
  realformatEngine,
  writeVariantFolders,
  type RealformatArch,
  type VariantRoot,
} from '../../../../tools/realformat';
import type { TokenRange } from '../../../../src/core/engine/types';

const TOLERANCE = 1e-4;

/** Two sequences sharing their first 500 tokens (real text of two τ² trajectories), 900 tokens each. */
function sequences(arch: RealformatArch): { first: number[]; second: number[]; sparse: TokenRange[] } {
  const [a, b] = expectedLines(arch).filter((line) => line.render === 'plain');
  const first = a.tokenIds.slice(0, 900);
  const second = [...a.tokenIds.slice(0, 500), ...b.tokenIds.slice(500, 900)];
  // A few short ranges, as action steps are: other rows go through the cut head than for `all`.
  const sparse = [
    { start: 31, end: 60 },
    { start: 470, end: 530 },
    { start: 801, end: 812 },
  ];
  return { first, second, sparse };
}

const all = (tokenIds: readonly number[]): TokenRange[] => [{ start: 1, end: tokenIds.length }];

let variants: VariantRoot;
beforeAll(async () => {
  variants = await writeVariantFolders([
    { arch: 'qwen3', side: 'policy' },
    { arch: 'llama3', side: 'policy' },
  ]);
}, 120_000);
afterAll(() => variants?.remove());

const CASES = [
  { arch: 'qwen3', dtype: 'fp32' },
  { arch: 'qwen3', dtype: 'q8' },
  { arch: 'qwen3', dtype: 'q4' },
  { arch: 'qwen3', dtype: 'fp16' },
  { arch: 'llama3', dtype: 'q4' },
  { arch: 'llama3', dtype: 'fp16' },
] as const;

describe.each(CASES)('$arch $dtype', { timeout: 300_000 }, ({ arch, dtype }) => {
  it('gives each token the same figures whatever the chunk size, reused prefix or batch (within 1e-4)', async () => {
    const engine = await realformatEngine(`${arch}-policy`, dtype, dtype === 'fp16' ? { root: variants.root } : {});
    try {
      expect(engine.fallbacks).toEqual([]);
      const { first, second, sparse } = sequences(arch);
      const [reference] = await engine.score(second, all(second));
      const compare = (figures: { logprob: Float32Array; entropy: Float32Array; topkMean: Float32Array }, from: number, what: string) => {
        for (const key of ['logprob', 'entropy', 'topkMean'] as const) {
          const expected = reference[key].subarray(from - 1, from - 1 + figures[key].length);
          expect(absoluteDifferences(figures[key], expected).max, `${what}: ${key}`).toBeLessThan(TOLERANCE);
        }
      };

      const [chunked] = await engine.score(second, all(second), { chunkSize: 37 });
      compare(chunked, 1, 'chunks of 37 tokens');

      await engine.score(first, all(first), { reusePrefix: true });
      engine.resetStats();
      const [reused] = await engine.score(second, all(second), { reusePrefix: true });
      await engine.releasePrefixCache();
      expect(engine.stats.tokensReused).toBeGreaterThanOrEqual(499);
      compare(reused, 1, 'after the first sequence, its shared 500-token prefix reused');

      const [, batch] = await engine.scoreMany([
        { tokenIds: first, ranges: all(first) },
        { tokenIds: second, ranges: sparse },
      ]);
      batch.forEach((figures, index) => compare(figures, sparse[index].start, `range ${index} scored in a batch, alone in its rows`));
    } finally {
      await engine.dispose();
    }
  });
});

describe('q8 made per-row', { timeout: 300_000 }, () => {
  it('equals the q8 file run one token at a time (as in generation), where the file run over a whole chunk differs', async () => {
    const { second } = sequences('qwen3');
    const engine = await realformatEngine('qwen3-policy', 'q8');
    try {
      const [figures] = await engine.score(second, all(second));
      const onnxPath = join(REALFORMAT_ROOT, 'qwen3-policy', 'onnx', 'model_quantized.onnx');
      const perToken = await plainSessionLogprobs(onnxPath, second, second.length, 1);
      expect(absoluteDifferences(figures.logprob, perToken).max).toBeLessThan(TOLERANCE);
      // The effect the rewrite removes: the same file over chunks of 300 tokens.
      const perChunk = await plainSessionLogprobs(onnxPath, second, second.length, 300);
      expect(absoluteDifferences(perChunk, perToken).max).toBeGreaterThan(1e-2);
    } finally {
      await engine.dispose();
    }
  });

  it('says so when the graph is left as exported (separate reduction): figures approximate', async () => {
    const engine = await realformatEngine('qwen3-policy', 'q8', { reduction: 'separate' });
    try {
      expect(engine.fallbacks?.map((fallback) => fallback.kind)).toEqual(['reduction', 'head-cut', 'quantization']);
      expect(engine.fallbacks?.at(-1)?.reason).toMatch(/depend on the chunk size.*approximate/);
      expect(engine.logitRows).toBe('every-position');
    } finally {
      await engine.dispose();
    }
  });
});

describe('fp16 softmax in float32', { timeout: 300_000 }, () => {
  it('gives Llama 3 fp16 the same figures in chunks of 37 as in one pass, where the file in a plain session moves', async () => {
    const { second } = sequences('llama3');
    const engine = await realformatEngine('llama3-policy', 'fp16', { root: variants.root });
    try {
      const [whole] = await engine.score(second, all(second), { chunkSize: second.length });
      const [chunked] = await engine.score(second, all(second), { chunkSize: 37 });
      expect(absoluteDifferences(chunked.logprob, whole.logprob).max).toBeLessThanOrEqual(1e-6);
      // The same file as exported, in one pass and in chunks of 37: its float16 softmax moves it.
      const onnxPath = join(variants.root, 'llama3-policy', 'onnx', FP16_WITH_FLOAT32_LOGITS);
      const plainWhole = await plainSessionLogprobs(onnxPath, second, second.length, second.length);
      const plainChunked = await plainSessionLogprobs(onnxPath, second, second.length, 37);
      expect(absoluteDifferences(plainChunked, plainWhole).max).toBeGreaterThan(1e-5);
      // The engine adds no error beyond the dtype's own.
      expect(absoluteDifferences(whole.logprob, plainWhole).max).toBeLessThan(TOLERANCE);
    } finally {
      await engine.dispose();
    }
  });

  it('says so when the softmax stays float16 (separate reduction): figures approximate', async () => {
    const engine = await realformatEngine('llama3-policy', 'fp16', { root: variants.root, reduction: 'separate' });
    try {
      expect(engine.fallbacks?.map((fallback) => fallback.kind)).toEqual(['reduction', 'head-cut', 'quantization']);
      expect(engine.fallbacks?.at(-1)?.reason).toMatch(/float16 attention softmax.*chunk size by up to 1\.5e-4 \(approximate\)/);
    } finally {
      await engine.dispose();
    }
  });
});
