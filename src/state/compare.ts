/**
 * Comparisons (issue 18): two scorings of one trajectory, and two trajectories of one task.
 *
 * The scorings a trajectory has: the one shown now (its result), every other one the score cache
 * holds for the same content (another pair, dtype, render mode or context policy: the cache is
 * keyed by them, state/persistence/pair-identity.ts), and those of other loaded trajectories with
 * the same id, such as a score file (precomputed figures) of the same run. The view
 * (src/ui/compare) aligns and evaluates them with src/core/compare.
 */
import { create } from 'zustand';
import type { ScoreRecord } from '../core/scores/format';
import type { Trajectory } from '../core/trajectory/types';
import { useAppStore } from './store';
import { useScoringStore } from './scoring';
import { sessionDatabase } from './persistence/database';
import { scoresOf } from './persistence/data-records';
import { contentHashesOf } from './persistence/content-hash';
import { describeModelPair, pairFromRecord } from './model-pair';
import { appendAll } from '../core/arrays';

/** One scoring of the trajectory, as the comparison offers it. */
export interface ScoringOption {
  /** `current`, `cache:<score-cache key>` or `loaded:<trajectory key>`. */
  id: string;
  origin: 'current' | 'cache' | 'loaded';
  /** What produced it, in words (the pair, dtype, rendering; the file for loaded ones). */
  label: string;
  record: ScoreRecord;
  /** False when the two models had different tokenizers: step-level figures only. */
  tokenLevel: boolean;
}

export interface ScoringComparison {
  /** The trajectory compared (its key). */
  key: string;
  /** Option ids chosen as A and B (null until the options are known). */
  a: string | null;
  b: string | null;
  options: ScoringOption[];
  loading: boolean;
  /** Why the score cache could not be read (the other scorings are still offered). */
  error: string | null;
}

export interface CompareState {
  scorings: ScoringComparison | null;
  /** Two trajectories of one task (keys), compared from their shared prefix. */
  trajectories: { a: string; b: string } | null;
}

export const useCompareStore = create<CompareState>()(() => ({ scorings: null, trajectories: null }));

/** `fnv1a64:…` content hash: the fourth part of a score-cache key (pairKey|dtype|render|hash[|last<N>]). */
function cacheKeyHash(cacheKey: string): string | undefined {
  return cacheKey.split('|')[3];
}

function contextWords(cacheKey: string): string {
  const last = cacheKey.split('|')[4];
  return last ? ` · reference code's left truncation to ${last.slice('last'.length)} tokens` : '';
}

/** A record in words: its pair (dtype, rendering) when it names one. */
export function describeScoring(record: ScoreRecord): string {
  return describeModelPair(pairFromRecord(record));
}

/** Other scorings of `key` in the score cache (same content, another pair, dtype, rendering or context policy). */
async function cachedScorings(trajectory: Trajectory, exceptCacheKey: string | undefined): Promise<ScoringOption[]> {
  const db = sessionDatabase();
  if (!db) return [];
  const [hash] = await contentHashesOf([trajectory]);
  const keys = (await db.getAllKeys('scoreCache')).filter((k) => cacheKeyHash(k) === hash && k !== exceptCacheKey).sort();
  const options: ScoringOption[] = [];
  for (const cacheKey of keys) {
    const entry = await db.get('scoreCache', cacheKey);
    if (!entry) continue;
    const scores = scoresOf(entry.result);
    options.push({
      id: `cache:${cacheKey}`,
      origin: 'cache',
      label: `saved: ${describeScoring(scores.record)}${contextWords(cacheKey)}`,
      record: scores.record,
      tokenLevel: !scores.stepLevelOnly,
    });
  }
  return options;
}

/** The scorings offered for `key` now (the cache is read once, when the comparison opens). */
export async function findScorings(key: string): Promise<{ options: ScoringOption[]; error: string | null }> {
  const { results, resultCacheKeys } = useScoringStore.getState();
  const { trajectories, trajectoryOrder } = useAppStore.getState();
  const entry = trajectories[key];
  const options: ScoringOption[] = [];
  if (!entry) return { options, error: null };
  const current = results[key];
  if (current) {
    const words = current.device === 'precomputed' ? `${entry.fileName}: ${describeScoring(current.record)}` : describeScoring(current.record);
    options.push({ id: 'current', origin: 'current', label: `shown now: ${words}`, record: current.record, tokenLevel: !current.stepLevelOnly });
  }
  let error: string | null = null;
  try {
    // The cache entry of what is shown now is left out: it is the same scoring.
    appendAll(options, await cachedScorings(entry.trajectory, resultCacheKeys[key]));
  } catch (e) {
    error = `the saved scores could not be read (${e instanceof Error ? e.message : String(e)}); the scorings of loaded files are still offered`;
  }
  for (const other of trajectoryOrder) {
    const candidate = trajectories[other];
    const result = results[other];
    if (other === key || !candidate || !result || candidate.trajectory.id !== entry.trajectory.id) continue;
    options.push({ id: `loaded:${other}`, origin: 'loaded', label: `${candidate.fileName}: ${describeScoring(result.record)}`, record: result.record, tokenLevel: !result.stepLevelOnly });
  }
  return { options, error };
}

/**
 * Opens the comparison of `key`'s scorings: A is the one shown now, B the first other one. Opened
 * again on the same trajectory (to see scorings made since), the choices still offered are kept.
 */
export async function openScoringComparison(key: string): Promise<void> {
  const before = useCompareStore.getState().scorings;
  const kept = before?.key === key ? { a: before.a, b: before.b } : null;
  useCompareStore.setState({ scorings: { key, a: null, b: null, options: [], loading: true, error: null } });
  const { options, error } = await findScorings(key);
  const offered = (id: string | null | undefined) => (id && options.some((o) => o.id === id) ? id : null);
  const a = offered(kept?.a) ?? options[0]?.id ?? null;
  const b = offered(kept?.b) ?? options.find((o) => o.id !== a)?.id ?? null;
  useCompareStore.setState((s) => (s.scorings?.key === key && s.scorings.loading ? { scorings: { key, a, b, options, loading: false, error } } : s));
}

export function chooseScorings(patch: { a?: string; b?: string }): void {
  useCompareStore.setState((s) => (s.scorings ? { scorings: { ...s.scorings, ...patch } } : s));
}

export function closeScoringComparison(): void {
  useCompareStore.setState({ scorings: null });
}

export function openTrajectoryComparison(a: string, b: string): void {
  useCompareStore.setState({ trajectories: { a, b } });
}

export function closeTrajectoryComparison(): void {
  useCompareStore.setState({ trajectories: null });
}

/**
 * The trajectory whose messages give the texts the scorings are aligned on: `key`'s own, unless
 * it came from a score file (whose messages are rebuilt from one scoring's tokens) and a loaded
 * trajectory of the same id has the real texts.
 */
export function textTrajectoryFor(key: string): Trajectory | null {
  const { trajectories, trajectoryOrder } = useAppStore.getState();
  const entry = trajectories[key];
  if (!entry) return null;
  if (entry.trajectory.format !== 'score-jsonl') return entry.trajectory;
  for (const other of trajectoryOrder) {
    const t = trajectories[other]?.trajectory;
    if (t && t.id === entry.trajectory.id && t.format !== 'score-jsonl') return t;
  }
  return entry.trajectory;
}
