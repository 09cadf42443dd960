/**
 * The scorings a trajectory offers for comparison: the one shown, the score cache's other entries
 * for the same content (and not the shown one's own entry, nor another trajectory's), and loaded
 * trajectories of the same id; the texts alignment uses come from the trajectory with real messages.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { openSessionDatabase, setSessionDatabase, type SessionDatabase } from '../../../src/state/persistence/database';
import { storedScoresOf } from '../../../src/state/persistence/data-records';
import { trajectoryContentHash } from '../../../src/state/persistence/content-hash';
import { useAppStore } from '../../../src/state/store';
import { useScoringStore } from '../../../src/state/scoring';
import { chooseScorings, findScorings, openScoringComparison, textTrajectoryFor, useCompareStore } from '../../../src/state/compare';
import type { Trajectory } from '../../../src/core/trajectory/types';
import { scored, trajectory } from './persistence/fixtures';

let db: SessionDatabase;
let key: string;
let scoreFileKey: string;

const withPair = (result: ReturnType<typeof scored>, render: 'plain' | 'chat', value: number) => ({
  ...result,
  record: { ...result.record, policyModel: 'demo-policy', referenceModel: 'demo-reference', dtype: 'fp32', render, steps: [{ ...result.record.steps[0], policy: [value, -0.25] }] },
});

async function cache(cacheKey: string, result: ReturnType<typeof scored>) {
  const [pairKey, dtype, render, contentHash] = cacheKey.split('|');
  await db.put('scoreCache', { cacheKey, pairKey, dtype: dtype as 'fp32', render: render as 'plain', contentHash, result: storedScoresOf(result), savedAt: 0 });
}

beforeEach(async () => {
  globalThis.indexedDB = new IDBFactory();
  db = await openSessionDatabase();
  setSessionDatabase(db);
  useAppStore.getState().resetFiles();
  const app = useAppStore.getState();
  const run = app.beginFile('run.jsonl', 10);
  app.addTrajectories(run, [trajectory('t-1', 'refund please'), trajectory('t-2')], []);
  // A score file of t-1: its messages are rebuilt from the tokens (format score-jsonl).
  const scoreFile = app.beginFile('t1.scores.jsonl', 10);
  const fromScores: Trajectory = { ...trajectory('t-1', 'Hi there'), format: 'score-jsonl' };
  app.addTrajectories(scoreFile, [fromScores], []);
  [key, , scoreFileKey] = useAppStore.getState().trajectoryOrder;
  const hash = trajectoryContentHash(useAppStore.getState().trajectories[key].trajectory);
  const otherHash = trajectoryContentHash(useAppStore.getState().trajectories[useAppStore.getState().trajectoryOrder[1]].trajectory);
  await cache(`pair:aa|fp32|chat|${hash}`, withPair(scored(key), 'chat', -1));
  await cache(`pair:aa|fp32|plain|${hash}`, withPair(scored(key), 'plain', -3));
  await cache(`pair:aa|fp32|plain|${hash}|last128`, withPair(scored(key), 'plain', -4));
  await cache(`pair:aa|fp32|plain|${otherHash}`, withPair(scored(key), 'plain', -5));
  useScoringStore.setState({
    results: { [key]: withPair(scored(key), 'plain', -3), [scoreFileKey]: { ...scored(scoreFileKey), device: 'precomputed' } },
    resultCacheKeys: { [key]: `pair:aa|fp32|plain|${hash}` },
  });
});

describe('the scorings of a trajectory', () => {
  it('offers the one shown, the cache’s others for the same content, and loaded trajectories of the same id', async () => {
    const { options, error } = await findScorings(key);
    expect(error).toBeNull();
    expect(options.map((o) => [o.origin, o.label, o.record.steps[0].policy[0]])).toEqual([
      ['current', 'shown now: policy demo-policy · reference demo-reference · fp32 · plain rendering', -3],
      ['cache', 'saved: policy demo-policy · reference demo-reference · fp32 · chat rendering', -1],
      ['cache', "saved: policy demo-policy · reference demo-reference · fp32 · plain rendering · reference code's left truncation to 128 tokens", -4],
      ['loaded', 't1.scores.jsonl: precomputed scores (the score file names no model pair)', -1.5],
    ]);
    expect(options.every((o) => o.tokenLevel)).toBe(true);
  });

  it('opens with the shown scoring as A and the next as B, and lets either be chosen', async () => {
    await openScoringComparison(key);
    const comparison = useCompareStore.getState().scorings!;
    expect([comparison.key, comparison.loading, comparison.a, comparison.b]).toEqual([key, false, 'current', comparison.options[1].id]);
    chooseScorings({ b: `loaded:${scoreFileKey}` });
    expect(useCompareStore.getState().scorings!.b).toBe(`loaded:${scoreFileKey}`);
    // Opened again (to see scorings made since): the choices still offered are kept.
    await openScoringComparison(key);
    expect(useCompareStore.getState().scorings).toMatchObject({ a: 'current', b: `loaded:${scoreFileKey}`, loading: false });
  });

  it('still offers the loaded scorings when the cache cannot be read, and says so', async () => {
    db.close();
    const { options, error } = await findScorings(key);
    expect(options.map((o) => o.origin)).toEqual(['current', 'loaded']);
    expect(error).toMatch(/^the saved scores could not be read \(/);
  });

  it('aligns on the texts of the trajectory with real messages, also when opened from the score file', () => {
    expect(textTrajectoryFor(scoreFileKey)?.messages[1].content).toBe('refund please');
    expect(textTrajectoryFor(key)?.messages[1].content).toBe('refund please');
  });
});
