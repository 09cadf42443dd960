/** The search store over the listed trajectories: text and token hits, a bad query's exact error, stepping through hits (wrapping) selects them. */
import { beforeEach, describe, expect, it } from 'vitest';
import { useAppStore } from '../../../src/state/store';
import { useLinkedViewStore } from '../../../src/state/analysis';
import { searchResults, stepThroughHits, useSearchStore, setSearch } from '../../../src/state/search';
import { trajectory, scored } from './persistence/fixtures';
import type { ScoreStep } from '../../../src/core/scores/format';

const text = (step: ScoreStep, i: number) => step.tokens?.[i] ?? '';
let keys: string[];

beforeEach(() => {
  useAppStore.getState().resetFiles();
  const id = useAppStore.getState().beginFile('a.jsonl', 10);
  useAppStore.getState().addTrajectories(id, [trajectory('t-1', 'hello refund'), trajectory('t-2', 'no match')], []);
  keys = useAppStore.getState().trajectoryOrder;
  setSearch({ query: '' });
});

describe('search over the listed trajectories', () => {
  it('finds text, and tokens by their figures in scored trajectories only', () => {
    const { trajectories } = useAppStore.getState();
    const found = searchResults('text', 'REFUND', keys, trajectories, {}, 1, text);
    expect(found.kind === 'text' && found.outcome.hits.map((h) => [h.key, h.message, h.match])).toEqual([[keys[0], 1, 'refund']]);
    // scored(): policy [-1.5, -0.25], reference [-2, -0.5] → A = 0.5, 0.25 with β = 1.
    const results = { [keys[1]]: scored(keys[1], -3) };
    const tokens = searchResults('tokens', 'A < 0', keys, trajectories, results, 1, text);
    expect(tokens).toMatchObject({ kind: 'tokens', searched: 1, listed: 2, withoutEntropy: 0 });
    expect(tokens.kind === 'tokens' && tokens.outcome.hits.map((h) => [h.key, h.message, h.index, h.A, h.token])).toEqual([[keys[1], 1, 0, -1, 'Hi']]);
    const entropy = searchResults('tokens', 'entropy > 1', keys, trajectories, results, 1, text);
    expect(entropy).toMatchObject({ kind: 'tokens', withoutEntropy: 1, outcome: { total: 0 } });
    expect(searchResults('tokens', 'entropyy > 3', keys, trajectories, results, 1, text)).toEqual({
      kind: 'error',
      message: 'unknown field "entropyy" at 0: fields are A, logp_policy, logp_reference, entropy',
      offset: 0,
    });
    expect(searchResults('tokens', '  ', keys, trajectories, results, 1, text)).toEqual({ kind: 'none' });
  });

  it('steps through hits forwards and backwards, wrapping, and shows each', () => {
    const { trajectories } = useAppStore.getState();
    const found = searchResults('tokens', 'A > -100', keys, trajectories, { [keys[0]]: scored(keys[0]) }, 1, text);
    const hits = found.kind === 'tokens' ? found.outcome.hits : [];
    expect(hits).toHaveLength(2);
    expect(stepThroughHits(hits, 1)).toBe(0);
    expect(useLinkedViewStore.getState().tokenRange).toEqual({ key: keys[0], message: 1, start: 0, end: 1 });
    expect(stepThroughHits(hits, 1)).toBe(1);
    expect(useLinkedViewStore.getState().tokenRange).toEqual({ key: keys[0], message: 1, start: 1, end: 2 });
    expect(stepThroughHits(hits, 1)).toBe(0);
    expect(stepThroughHits(hits, -1)).toBe(1);
    expect(useAppStore.getState().selectedKey).toBe(keys[0]);
    setSearch({ query: 'x' });
    expect(useSearchStore.getState().at).toBe(-1);
    expect(stepThroughHits(hits, -1)).toBe(1);
  });
});
