/**
 * Prefix reuse: sequences that share a token prefix start from the kept KV cache (and the figures
 * of positions scored in both) and give the figures of a fresh run within 1e-5, while forwarding
 * fewer tokens. Also: the in-graph reduction reads back 12 bytes per scored token and agrees with
 * the separate reduction session; long contexts get chunks sized to the attention budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransformersEngine, type TransformersEngine } from '../../../../src/core/engine/transformers';
import { nodeModelFiles } from '../../../../src/node/model-files';
import type { TokenFigures, TokenRange } from '../../../../src/core/engine/types';
import { maxAbsDifference, randomTokenIds, writeModelFolders, type ModelRoot, type TestModel } from './helpers';

const model: TestModel = {
  id: 'reuse-gpt2',
  config: { vocabSize: 300, contextLength: 512, embeddingDim: 32, layerCount: 2, headCount: 4 },
  seed: 3,
};
const vocab = model.config.vocabSize;
const SHARED = 120;
const prefix = randomTokenIds(SHARED, vocab, 1);
/** A greeting scored inside the shared prefix, then each trajectory's own turns. */
const greeting: TokenRange = { start: 100, end: 110 };
const group = [
  { tokenIds: [...prefix, ...randomTokenIds(80, vocab, 10)], ranges: [greeting, { start: 130, end: 150 }, { start: 170, end: 200 }] },
  // Scores the position where the sequences part (its target differs): it must be recomputed.
  { tokenIds: [...prefix, ...randomTokenIds(60, vocab, 11)], ranges: [greeting, { start: SHARED, end: 140 }, { start: 150, end: 180 }] },
  { tokenIds: [...prefix, ...randomTokenIds(90, vocab, 12)], ranges: [greeting, { start: SHARED, end: 210 }] },
  // Scores a position inside the shared prefix that no other sequence scores: reuse stops there.
  { tokenIds: [...prefix, ...randomTokenIds(40, vocab, 13)], ranges: [{ start: 60, end: 70 }, greeting, { start: 140, end: 160 }] },
];

let modelRoot: ModelRoot;
let engine: TransformersEngine;
let fresh: TokenFigures[][];
let freshForwarded: number;

function maxDifference(a: TokenFigures[][], b: TokenFigures[][]): number {
  let max = 0;
  a.forEach((figures, sequence) =>
    figures.forEach((figure, range) => {
      for (const key of ['logprob', 'entropy', 'topkMean'] as const) max = Math.max(max, maxAbsDifference(figure[key], b[sequence][range][key]));
    }),
  );
  return max;
}

beforeAll(async () => {
  modelRoot = await writeModelFolders([model]);
  engine = await createTransformersEngine({ files: nodeModelFiles, modelId: model.id, localModelPath: modelRoot.root, dtype: 'fp32', device: 'cpu' });
  engine.resetStats();
  fresh = [];
  for (const sequence of group) fresh.push(await engine.score(sequence.tokenIds, sequence.ranges, { chunkSize: 32 }));
  freshForwarded = engine.stats.tokensForwarded;
});

afterAll(async () => {
  await engine?.dispose();
  await modelRoot?.remove();
});

describe('prefix reuse', () => {
  it('scoreMany gives the fresh figures within 1e-5 and forwards the shared prefix once', async () => {
    engine.resetStats();
    const reused = await engine.scoreMany(group, { chunkSize: 32 });
    const stats = engine.stats;
    expect(maxDifference(reused, fresh)).toBeLessThan(1e-5);
    expect(stats.tokensForwarded).toBeLessThan(freshForwarded);
    expect(stats.tokensForwarded + stats.tokensReused).toBe(freshForwarded);
    // Sequence 3 scores position 59: the prefix cannot be reused past it.
    expect(stats.tokensReused).toBeGreaterThanOrEqual(59 + 2 * (SHARED - 1));
    expect(stats.tokensForwarded / freshForwarded).toBeLessThan(0.7);
  });

  it('returns figures in input order whatever order it scores in', async () => {
    const reversed = [...group].reverse();
    const reused = await engine.scoreMany(reversed, { chunkSize: 64 });
    expect(maxDifference(reused, [...fresh].reverse())).toBeLessThan(1e-5);
  });

  it('reusePrefix carries the cache from one score() call to the next, until released', async () => {
    await engine.releasePrefixCache();
    engine.resetStats();
    const first = await engine.score(group[0].tokenIds, group[0].ranges, { reusePrefix: true });
    const second = await engine.score(group[3].tokenIds, group[3].ranges, { reusePrefix: true });
    // Sequence 3 scores position 59, which sequence 0 did not: the cache serves positions 0 … 58.
    expect(engine.stats.tokensReused).toBe(59);
    expect(maxDifference([first, second], [fresh[0], fresh[3]])).toBeLessThan(1e-5);

    // A call without reusePrefix neither uses nor replaces the kept cache.
    await engine.score(group[1].tokenIds, group[1].ranges);
    expect(engine.stats.tokensReused).toBe(59);
    const fromThree = await engine.score(group[0].tokenIds, group[0].ranges, { reusePrefix: true });
    expect(engine.stats.tokensReused).toBe(59 + SHARED);

    await engine.releasePrefixCache();
    const third = await engine.score(group[1].tokenIds, group[1].ranges, { reusePrefix: true });
    expect(engine.stats.tokensReused).toBe(59 + SHARED);
    expect(maxDifference([fromThree], [fresh[0]])).toBeLessThan(1e-5);
    expect(maxDifference([third], [fresh[1]])).toBeLessThan(1e-5);
    await engine.releasePrefixCache();
  });

  it('recomputes the last shared position when both sequences score it (its next token differs)', async () => {
    await engine.releasePrefixCache();
    engine.resetStats();
    const first = await engine.score(group[1].tokenIds, group[1].ranges, { reusePrefix: true });
    const second = await engine.score(group[2].tokenIds, group[2].ranges, { reusePrefix: true });
    expect(engine.stats.tokensReused).toBe(SHARED - 1);
    expect(maxDifference([first, second], [fresh[1], fresh[2]])).toBeLessThan(1e-5);
    await engine.releasePrefixCache();
  });

  it('runs nothing when every scored token of the next sequence is already in the cache', async () => {
    const [sequence] = group;
    await engine.score(sequence.tokenIds, sequence.ranges, { reusePrefix: true });
    engine.resetStats();
    const progress: number[] = [];
    const [again] = await engine.score(sequence.tokenIds.slice(0, 160), [sequence.ranges[1]], { reusePrefix: true, onProgress: (step) => progress.push(step.tokensDone) });
    expect(engine.stats.tokensForwarded).toBe(0);
    expect(engine.stats.chunks).toBe(0);
    expect(progress).toEqual([]);
    expect(maxAbsDifference(again.logprob, fresh[0][1].logprob)).toBeLessThan(1e-5);
    await engine.releasePrefixCache();
  });

  it('cuts the cache to the shared length when the previous sequence ran further', async () => {
    // The longer sequence first: its cache holds 199 positions, the next shares 120 of them.
    engine.resetStats();
    await engine.score(group[2].tokenIds, group[2].ranges, { reusePrefix: true, chunkSize: 50 });
    const cut = await engine.score(group[0].tokenIds, group[0].ranges, { reusePrefix: true, chunkSize: 50 });
    expect(engine.stats.tokensReused).toBe(SHARED);
    expect(maxDifference([cut], [fresh[0]])).toBeLessThan(1e-5);
    await engine.releasePrefixCache();
  });
});

describe('reduction inside the model graph', () => {
  it('reads back 12 bytes per scored token and matches the separate reduction session within 1e-5', async () => {
    expect(engine.reductionPlacement).toBe('model-graph');
    const separate = await createTransformersEngine({ files: nodeModelFiles, modelId: model.id, localModelPath: modelRoot.root, dtype: 'fp32', device: 'cpu', reduction: 'separate' });
    try {
      expect(separate.reductionPlacement).toBe('separate-session');
      engine.resetStats();
      const inGraph = await engine.score(group[0].tokenIds, group[0].ranges, { chunkSize: 32 });
      const twoSessions = await separate.score(group[0].tokenIds, group[0].ranges, { chunkSize: 32 });
      expect(maxDifference([inGraph], [twoSessions])).toBeLessThan(1e-5);
      const scored = group[0].ranges.reduce((sum, range) => sum + range.end - range.start, 0);
      expect(engine.stats.tokensScored).toBe(scored);
      expect(engine.stats.bytesReadBack).toBe(12 * scored);
      // The separate session gets the logits rows from the first to the last scored position of each chunk.
      expect(separate.stats.bytesReadBack).toBeGreaterThan(4 * vocab * scored);
    } finally {
      await separate.dispose();
    }
  });
});

describe('chunks of long contexts', () => {
  it('shortens chunks so their attention scores fit the budget, with the same figures', async () => {
    // 4 heads × 4 bytes × length × (start + length) ≤ 64 KiB: the first chunk is 64 tokens, not 512 (later ones stay at the 64-token floor).
    const budgeted = await createTransformersEngine({
      files: nodeModelFiles,
      modelId: model.id,
      localModelPath: modelRoot.root,
      dtype: 'fp32',
      device: 'cpu',
      maxAttentionBytesPerChunk: 4 * 4 * 64 * 64,
    });
    try {
      const progress: number[] = [];
      const figures = await budgeted.score(group[2].tokenIds, group[2].ranges, { chunkSize: 512, onProgress: (step) => progress.push(step.tokensDone) });
      expect(progress[0]).toBe(64);
      expect(progress.length).toBeGreaterThan(2);
      expect(maxDifference([figures], [fresh[2]])).toBeLessThan(1e-5);
    } finally {
      await budgeted.dispose();
    }
  });
});

describe('the KV cache between chunks', () => {
  it('is appended to in place on the fused graph: only new rows cross, same figures as the present outputs fed back', async () => {
    expect(engine.kvCacheMode).toBe('append-only');
    expect(engine.logitRows).toBe('scored-only');
    const separate = await createTransformersEngine({ files: nodeModelFiles, modelId: model.id, localModelPath: modelRoot.root, dtype: 'fp32', device: 'cpu', reduction: 'separate' });
    try {
      expect(separate.kvCacheMode).toBe('present-outputs');
      expect(separate.logitRows).toBe('every-position');
      engine.resetStats();
      separate.resetStats();
      // scoreMany cuts and extends the kept cache in both forms.
      const appended = await engine.scoreMany(group, { chunkSize: 32 });
      const fedBack = await separate.scoreMany(group, { chunkSize: 32 });
      expect(maxDifference(appended, fedBack)).toBeLessThan(1e-5);
      expect(maxDifference(appended, fresh)).toBeLessThan(1e-5);
      expect(engine.stats.tokensForwarded).toBe(separate.stats.tokensForwarded);
      // 2 layers × (key + value) × 32 floats per position: each forwarded position's rows cross once.
      const rowBytes = model.config.layerCount * 2 * model.config.embeddingDim * 4;
      expect(engine.stats.kvBytesReadBack).toBe(rowBytes * engine.stats.tokensForwarded);
      // Fed back, every chunk's whole present.* crosses again.
      expect(separate.stats.kvBytesReadBack).toBeGreaterThan(3 * engine.stats.kvBytesReadBack);
    } finally {
      await separate.dispose();
    }
  });
});
