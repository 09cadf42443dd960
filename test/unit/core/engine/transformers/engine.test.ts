import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransformersEngine, type TransformersEngine } from '../../../../../src/core/engine/transformers';
import { nodeModelFiles } from '../../../../../src/node/model-files';
import { ContextLimitError, type ScoreProgress, type TokenFigures, type TokenRange } from '../../../../../src/core/engine/types';
import { fullLogits, independentFigures, maxAbsDifference, randomTokenIds, writeModelFolders, type IndependentFigures, type ModelRoot, type TestModel } from '../helpers';

const model: TestModel = {
  id: 'tiny-gpt2',
  config: { vocabSize: 256, contextLength: 256, embeddingDim: 48, layerCount: 2, headCount: 4 },
  seed: 1,
};
const sequenceLength = 230;
/** The last range ends at 199, so tokens 199 … 229 need no forward pass; they are ids no model has. */
const tokenIds = [...randomTokenIds(199, model.config.vocabSize, 5), ...Array.from({ length: sequenceLength - 199 }, () => 1_000_000)];
/** Ranges that start and end inside chunks of 7 and 64, cross chunk borders, an empty one, and one starting at 1. */
const ranges: TokenRange[] = [
  { start: 1, end: 5 },
  { start: 5, end: 5 },
  { start: 13, end: 40 },
  { start: 60, end: 70 },
  { start: 63, end: 66 },
  { start: 100, end: 199 },
];
const forwardLength = 198;

let modelRoot: ModelRoot;
let engine: TransformersEngine;
let expected: IndependentFigures;

beforeAll(async () => {
  modelRoot = await writeModelFolders([model], ['fp32', 'q8', 'q4']);
  engine = await createTransformersEngine({ files: nodeModelFiles, modelId: model.id, localModelPath: modelRoot.root, dtype: 'fp32', device: 'cpu' });
  const scoredPrefix = tokenIds.slice(0, 199);
  expected = independentFigures(await fullLogits(join(modelRoot.root, model.id, 'onnx/model.onnx'), scoredPrefix, model.config), scoredPrefix);
});

afterAll(async () => {
  await engine?.dispose();
  await modelRoot?.remove();
});

/** The independent figures of a range's tokens: token t ↔ position t − 1. */
function expectedFor(range: TokenRange): { logprob: number[]; entropy: number[]; topkMean: number[] } {
  const positions = Array.from({ length: range.end - range.start }, (_, index) => range.start + index - 1);
  return {
    logprob: positions.map((p) => expected.logprob[p]),
    entropy: positions.map((p) => expected.entropy[p]),
    topkMean: positions.map((p) => expected.topkMean[p]),
  };
}

function maxErrorAgainstIndependent(figures: TokenFigures[]): number {
  let max = 0;
  figures.forEach((figure, index) => {
    const reference = expectedFor(ranges[index]);
    max = Math.max(max, maxAbsDifference(figure.logprob, reference.logprob), maxAbsDifference(figure.entropy, reference.entropy), maxAbsDifference(figure.topkMean, reference.topkMean));
  });
  return max;
}

describe('transformers.js engine (onnxruntime-node, CPU)', () => {
  it('describes itself and reads the context limit from config.json', () => {
    expect(engine.description).toBe('transformers.js/onnxruntime-node/cpu/fp32');
    expect(engine.maxContext).toBe(256);
    expect(engine.vocabSize).toBe(256);
    expect(engine.logitsPlacement).toBe('cpu');
  });

  it('the independent figures are informative (spread-out distributions)', () => {
    const entropies = Array.from(expected.entropy.subarray(0, forwardLength));
    expect(Math.min(...entropies)).toBeGreaterThan(0.5);
    expect(Math.max(...entropies)).toBeLessThan(Math.log(model.config.vocabSize));
  });

  const wholeSequence = 512;
  it.each([1, 7, 64, wholeSequence])('chunk size %i: log-prob, entropy and top-20 mean match one float64 pass within 1e-4', async (chunkSize) => {
    const figures = await engine.score(tokenIds, ranges, { chunkSize });
    expect(figures.map((figure) => figure.logprob.length)).toEqual(ranges.map((range) => range.end - range.start));
    expect(maxErrorAgainstIndependent(figures)).toBeLessThan(1e-4);
  });

  it('chunked and one-pass scoring agree within 1e-5', async () => {
    const onePass = await engine.score(tokenIds, ranges, { chunkSize: wholeSequence });
    let maxDifference = 0;
    for (const chunkSize of [1, 7, 64]) {
      const chunked = await engine.score(tokenIds, ranges, { chunkSize });
      chunked.forEach((figure, index) => {
        for (const key of ['logprob', 'entropy', 'topkMean'] as const) {
          maxDifference = Math.max(maxDifference, maxAbsDifference(figure[key], onePass[index][key]));
        }
      });
    }
    console.log(`chunked (1, 7, 64) vs one-pass: max |Δ| = ${maxDifference.toExponential(2)}; vs float64 one pass: ${maxErrorAgainstIndependent(onePass).toExponential(2)}`);
    expect(maxDifference).toBeLessThan(1e-5);
  });

  it('reports progress per chunk up to the last scored token only', async () => {
    const progress: ScoreProgress[] = [];
    await engine.score(tokenIds, ranges, { chunkSize: 64, onProgress: (step) => progress.push(step) });
    expect(progress).toEqual([64, 128, 192, 198].map((tokensDone) => ({ tokensDone, tokensTotal: forwardLength })));
  });

  it('caps the scored rows per chunk so the cut head’s logits stay under maxLogitsBytesPerChunk, not the chunk', async () => {
    const capped = await createTransformersEngine({
      files: nodeModelFiles,
      modelId: model.id,
      localModelPath: modelRoot.root,
      dtype: 'fp32',
      device: 'cpu',
      maxLogitsBytesPerChunk: 10 * model.config.vocabSize * 4,
    });
    try {
      expect(capped.logitRows).toBe('scored-only');
      expect(capped.effectiveChunkSize(512)).toBe(512);
      expect(capped.effectiveChunkSize(3)).toBe(3);
      expect(capped.scoredRowsPerChunk).toBe(10);
      const progress: number[] = [];
      const figures = await capped.score(tokenIds, ranges, { onProgress: ({ tokensDone }) => progress.push(tokensDone) });
      // Scored positions 0–3 and 12–38: each chunk ends before its 11th scored position.
      expect(progress.slice(0, 3)).toEqual([18, 28, 38]);
      expect(maxErrorAgainstIndependent(figures)).toBeLessThan(1e-4);
      // Two scored tokens in 100: one chunk, whatever the budget.
      capped.resetStats();
      await capped.score(tokenIds, [{ start: 40, end: 41 }, { start: 99, end: 100 }]);
      expect(capped.stats.chunks).toBe(1);
    } finally {
      await capped.dispose();
    }
  });

  it('returns empty figures without running the model when every range is empty', async () => {
    const progress: ScoreProgress[] = [];
    const figures = await engine.score(tokenIds, [{ start: 0, end: 0 }, { start: 50, end: 50 }], { onProgress: (step) => progress.push(step) });
    expect(figures.map((figure) => figure.logprob.length)).toEqual([0, 0]);
    expect(progress).toEqual([]);
  });

  it('throws a ContextLimitError before running when the scored tokens exceed the context', async () => {
    const long = randomTokenIds(300, model.config.vocabSize, 9);
    const progress: ScoreProgress[] = [];
    const attempt = engine.score(long, [{ start: 10, end: 20 }, { start: 250, end: 259 }], { onProgress: (step) => progress.push(step) });
    await expect(attempt).rejects.toBeInstanceOf(ContextLimitError);
    await expect(attempt).rejects.toMatchObject({ limit: 256, requested: 258 });
    expect(progress).toEqual([]);
    // A range ending at 257 needs 256 tokens of context: exactly the limit.
    const [figure] = await engine.score(long, [{ start: 250, end: 257 }]);
    expect(figure.logprob.length).toBe(7);
  });

  it('stops between chunks with an AbortError', async () => {
    const controller = new AbortController();
    const progress: ScoreProgress[] = [];
    const attempt = engine.score(tokenIds, ranges, {
      chunkSize: 16,
      signal: controller.signal,
      onProgress: (step) => {
        progress.push(step);
        if (step.tokensDone === 32) controller.abort();
      },
    });
    await expect(attempt).rejects.toMatchObject({ name: 'AbortError' });
    expect(progress.map((step) => step.tokensDone)).toEqual([16, 32]);
    // Nothing runs on an already aborted signal; the engine still works afterwards.
    await expect(engine.score(tokenIds, ranges, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(maxErrorAgainstIndependent(await engine.score(tokenIds, ranges))).toBeLessThan(1e-4);
  });

  it('rejects invalid ranges, token ids and chunk sizes with the offending value', async () => {
    await expect(engine.score(tokenIds, [{ start: 0, end: 3 }])).rejects.toThrow('starts at token 0');
    await expect(engine.score(tokenIds, [{ start: 5, end: 231 }])).rejects.toThrow('ranges[0] = [5, 231)');
    await expect(engine.score(tokenIds, [{ start: 5, end: 4 }])).rejects.toThrow(RangeError);
    // Token 199 is the target of the last forwarded position when a range ends at 200.
    await expect(engine.score(tokenIds, [{ start: 150, end: 200 }])).rejects.toThrow('token 199 has id 1000000');
    await expect(engine.score(tokenIds, ranges, { chunkSize: 0 })).rejects.toThrow('chunkSize must be a positive integer');
  });

  it('serialises concurrent calls and gives each its own figures', async () => {
    const [a, b] = await Promise.all([
      engine.score(tokenIds, ranges.slice(0, 3), { chunkSize: 7 }),
      engine.score(tokenIds, ranges.slice(3), { chunkSize: 64 }),
    ]);
    expect(maxErrorAgainstIndependent([...a, ...b])).toBeLessThan(1e-4);
  });

  it('q8 and q4 forms load and score close to fp32', async () => {
    const fp32 = await engine.score(tokenIds, ranges, { chunkSize: 64 });
    const report: Record<string, Record<string, number>> = {};
    for (const dtype of ['q8', 'q4'] as const) {
      const quantized = await createTransformersEngine({ files: nodeModelFiles, modelId: model.id, localModelPath: modelRoot.root, dtype, device: 'cpu' });
      try {
        expect(quantized.description).toBe(`transformers.js/onnxruntime-node/cpu/${dtype}`);
        const figures = await quantized.score(tokenIds, ranges, { chunkSize: 64 });
        const errors = { logprob: [] as number[], entropy: [] as number[], topkMean: [] as number[] };
        figures.forEach((figure, index) => {
          for (const key of ['logprob', 'entropy', 'topkMean'] as const) {
            figure[key].forEach((value, i) => errors[key].push(Math.abs(value - fp32[index][key][i])));
          }
        });
        report[dtype] = Object.fromEntries(
          Object.entries(errors).flatMap(([key, values]) => [
            [`${key}MeanAbs`, values.reduce((a, b) => a + b, 0) / values.length],
            [`${key}MaxAbs`, Math.max(...values)],
          ]),
        );
      } finally {
        await quantized.dispose();
      }
    }
    console.log('quantized vs fp32 per-token figures:', report);
    // Different files really ran (non-zero error), q4 is the coarser one, and both stay usable.
    expect(report.q8.logprobMeanAbs).toBeGreaterThan(0);
    expect(report.q8.logprobMeanAbs).toBeLessThan(report.q4.logprobMeanAbs);
    expect(report.q8.logprobMeanAbs).toBeLessThan(0.1);
    expect(report.q4.logprobMeanAbs).toBeLessThan(0.5);
  });

  it('refuses to score after dispose()', async () => {
    const disposable = await createTransformersEngine({ files: nodeModelFiles, modelId: model.id, localModelPath: modelRoot.root, dtype: 'fp32', device: 'cpu' });
    await disposable.dispose();
    await expect(disposable.score(tokenIds, ranges)).rejects.toThrow('disposed');
  });
});
