/**
 * Issue 15, item 1 (Node): the real-format pairs (../shared/models/realformat: Qwen3 and Llama 3
 * with their real vocabularies and tokenizers, in optimum's layout) through the product's own
 * path. Plain rendering with each real tokenizer gives exactly the ground truth's token ids and
 * message spans; the engine (fused reduction, LM head cut to the scored rows, chunks carrying the
 * KV cache, prefix reuse on) gives fp32 log-probs within 1e-4 of PyTorch's float64 ones, and q4 /
 * fp16 log-probs within 1e-4 of a plain onnxruntime session on the same file (the engine adds no
 * error beyond the dtype's own).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { renderPlain } from '../../../../src/core/render';
import { loadFixture } from '../render/fixtures';
import {
  FP16_WITH_FLOAT32_LOGITS,
  REALFORMAT_ROOT,
  absoluteDifferences,
  expectedLines,
  plainSessionLogprobs,
  realformatEngine,
  realformatTokenizer,
  writeVariantFolders,
  type RealformatArch,
  type VariantRoot,
} from '../../../../tools/realformat';

const ARCHS: RealformatArch[] = ['qwen3', 'llama3'];
const TOLERANCE = 1e-4;
/** Whole trajectories through 150k-vocabulary heads: tens of seconds on 2 busy cores. */
const SLOW = { timeout: 300_000 };
const plainLines = (arch: RealformatArch) => expectedLines(arch).filter((line) => line.render === 'plain');

describe.each(ARCHS)('%s: plain rendering with the real tokenizer', (arch) => {
  it('gives exactly the ground truth token ids, message spans and action messages', async () => {
    const tokenizer = await realformatTokenizer(`${arch}-policy`);
    for (const line of plainLines(arch)) {
      const trajectory = loadFixture(line.fixture.replace(/^fixtures\/trajectories\//, ''))[line.index];
      const rendered = renderPlain(trajectory, tokenizer);
      expect(rendered.tokenIds.length, `${line.fixture} #${line.index}`).toBe(line.tokenIds.length);
      expect(rendered.tokenIds, `${line.fixture} #${line.index}`).toEqual(line.tokenIds);
      expect(rendered.messageSpans.map((span) => [span.start, span.end])).toEqual(line.messageSpans);
      expect(trajectory.actionSteps).toEqual(line.actionMessages);
    }
  });
});

describe.each(ARCHS)('%s fp32 through the engine', SLOW, (arch) => {
  it.each(['policy', 'reference'] as const)('%s: every log-prob within 1e-4 of float64 (fused, head cut, chunked, prefix reuse on)', async (side) => {
    const engine = await realformatEngine(`${arch}-${side}`, 'fp32');
    try {
      expect(engine).toMatchObject({ reductionPlacement: 'model-graph', logitRows: 'scored-only', kvCacheMode: 'append-only' });
      for (const line of plainLines(arch)) {
        const [figures] = await engine.score(line.tokenIds, [{ start: 1, end: line.tokenIds.length }], { reusePrefix: true });
        const { max, mean } = absoluteDifferences(figures.logprob, line[side]);
        expect(max, `${line.fixture} #${line.index}: max |Δ log p| (mean ${mean.toExponential(2)})`).toBeLessThan(TOLERANCE);
      }
      expect(engine.stats.chunks).toBeGreaterThan(plainLines(arch).length); // several chunks per sequence: the KV cache carried them
    } finally {
      await engine.dispose();
    }
  });
});

describe('q4 and fp16 through the engine match a plain onnxruntime session on the same file', SLOW, () => {
  let variants: VariantRoot;
  beforeAll(async () => {
    variants = await writeVariantFolders(ARCHS.map((arch) => ({ arch, side: 'policy' as const })));
  }, 120_000);
  afterAll(() => variants?.remove());

  /** The Who&When trajectory and the first 1,200 tokens of a τ² one: every position scored. */
  const sequencesOf = (arch: RealformatArch) =>
    [plainLines(arch)[2], plainLines(arch)[0]].map((line, index) => {
      const length = index === 0 ? line.tokenIds.length : 1200;
      return { tokenIds: line.tokenIds.slice(0, length), truth: line.policy.slice(0, length - 1) };
    });

  it.each(ARCHS)('%s q4: within 1e-4 at every position', async (arch) => {
    const engine = await realformatEngine(`${arch}-policy`, 'q4');
    try {
      expect(engine.logitRows).toBe('scored-only');
      for (const { tokenIds } of sequencesOf(arch)) {
        const [figures] = await engine.score(tokenIds, [{ start: 1, end: tokenIds.length }], { reusePrefix: true });
        const expected = await plainSessionLogprobs(join(REALFORMAT_ROOT, `${arch}-policy`, 'onnx', 'model_q4.onnx'), tokenIds, tokenIds.length);
        const { max, mean } = absoluteDifferences(figures.logprob, expected);
        expect(max, `max |Δ log p| over ${tokenIds.length - 1} positions (mean ${mean.toExponential(2)})`).toBeLessThan(TOLERANCE);
      }
    } finally {
      await engine.dispose();
    }
  });

  // One sequence (fp16 runs slowly on the CPU). In the fused graph the logits are an intermediate, and onnxruntime (its CPU kernels compute
  // float16 ops in float32) drops their rounding to float16: the engine's figures are those of the
  // same file with float32 logits, and closer to float64 than the float16 logits' own.
  it.each(ARCHS)('%s fp16: within 1e-4 of the same file read before its logits are rounded to float16, and no further from float64 than its float16 logits', async (arch) => {
    const folder = join(variants.root, `${arch}-policy`, 'onnx');
    const engine = await realformatEngine(`${arch}-policy`, 'fp16', { root: variants.root });
    try {
      expect(engine.logitRows).toBe('scored-only');
      for (const { tokenIds, truth } of sequencesOf(arch).slice(0, 1)) {
        const [figures] = await engine.score(tokenIds, [{ start: 1, end: tokenIds.length }], { reusePrefix: true });
        const unrounded = await plainSessionLogprobs(join(folder, FP16_WITH_FLOAT32_LOGITS), tokenIds, tokenIds.length);
        const { max, mean } = absoluteDifferences(figures.logprob, unrounded);
        expect(max, `max |Δ log p| over ${tokenIds.length - 1} positions (mean ${mean.toExponential(2)})`).toBeLessThan(TOLERANCE);

        const rounded = await plainSessionLogprobs(join(folder, 'model_fp16.onnx'), tokenIds, tokenIds.length);
        expect(absoluteDifferences(figures.logprob, rounded).max).toBeLessThan(1e-2);
        expect(absoluteDifferences(figures.logprob, truth).mean).toBeLessThanOrEqual(absoluteDifferences(rounded, truth).mean);
      }
    } finally {
      await engine.dispose();
    }
  });
});
