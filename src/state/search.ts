/**
 * Search across the listed trajectories (src/core/search): text in messages, tool calls and tool
 * results, or tokens by their figures ("A < -1"). The query and the current hit live here; the hits
 * are computed from the stores (pure `searchResults`) and a hit is "visited" by selecting its
 * trajectory, its step and (for a token) the token itself, which the transcript scrolls to.
 */
import { create } from 'zustand';
import { findText, findTokens, parseTokenQuery, TokenQueryError, type SearchOutcome, type TextHit, type TokenHit } from '../core/search';
import type { ScoreStep } from '../core/scores/format';
import type { ScoredTrajectory } from '../core/scoring';
import { useAppStore, type LoadedTrajectory } from './store';
import { selectStep, selectTokenRange } from './analysis';

export const SEARCH_MODES = ['text', 'tokens'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

export interface SearchState {
  mode: SearchMode;
  query: string;
  /** Index of the current hit among the results; -1 before the first step. */
  at: number;
}

export const useSearchStore = create<SearchState>()(() => ({ mode: 'text', query: '', at: -1 }));

export function setSearch(patch: Partial<Pick<SearchState, 'mode' | 'query'>>): void {
  useSearchStore.setState({ ...patch, at: -1 });
}

export type SearchResults =
  | { kind: 'none' }
  | { kind: 'error'; message: string; offset: number }
  | { kind: 'text'; outcome: SearchOutcome<TextHit>; searched: number }
  | {
      kind: 'tokens';
      outcome: SearchOutcome<TokenHit>;
      /** Listed trajectories with token figures (the others are not scored, or only per step). */
      searched: number;
      listed: number;
      /** Scored trajectories without entropy, when the query reads it (their entropy comparisons are false). */
      withoutEntropy: number;
    };

/** The hits of a query over the listed trajectories (in the list's order). Pure. */
export function searchResults(
  mode: SearchMode,
  query: string,
  keys: readonly string[],
  trajectories: Readonly<Record<string, LoadedTrajectory>>,
  results: Readonly<Record<string, ScoredTrajectory>>,
  beta: number,
  tokenText: (step: ScoreStep, index: number) => string,
): SearchResults {
  if (query.trim() === '') return { kind: 'none' };
  if (mode === 'text') {
    const sources = keys.flatMap((key) => (trajectories[key] ? [{ key, trajectory: trajectories[key].trajectory }] : []));
    return { kind: 'text', outcome: findText(sources, query.trim()), searched: sources.length };
  }
  let parsed;
  try {
    parsed = parseTokenQuery(query);
  } catch (error) {
    if (error instanceof TokenQueryError) return { kind: 'error', message: error.message, offset: error.offset };
    throw error;
  }
  const scored = keys.flatMap((key) => (results[key] && !results[key].stepLevelOnly && trajectories[key] ? [{ key, steps: results[key].record.steps }] : []));
  const readsEntropy = query.toLowerCase().includes('entropy');
  const withoutEntropy = readsEntropy ? scored.filter((s) => s.steps.some((step) => step.policy.length > 0 && !step.entropy)).length : 0;
  return { kind: 'tokens', outcome: findTokens(scored, parsed, beta, tokenText), searched: scored.length, listed: keys.length, withoutEntropy };
}

/** Shows a hit: its trajectory in the trajectory tab, its step chosen, a token hit marked (the transcript scrolls to it). */
export function visitHit(hit: TextHit | TokenHit): void {
  const app = useAppStore.getState();
  if (app.selectedKey !== hit.key) app.select(hit.key);
  if (app.activeTab !== 'trajectory') app.setActiveTab('trajectory');
  selectStep({ key: hit.key, message: hit.message });
  if ('index' in hit) selectTokenRange({ key: hit.key, message: hit.message, start: hit.index, end: hit.index + 1 });
}

/** Moves to the next (+1) or previous (−1) hit, wrapping around, and shows it; returns its index. */
export function stepThroughHits(hits: readonly (TextHit | TokenHit)[], delta: 1 | -1): number {
  if (hits.length === 0) return -1;
  const { at } = useSearchStore.getState();
  const next = at < 0 ? (delta > 0 ? 0 : hits.length - 1) : (at + delta + hits.length) % hits.length;
  useSearchStore.setState({ at: next });
  visitHit(hits[next]);
  return next;
}

/** Shows the hit at `index` (a click in the results). */
export function goToHit(hits: readonly (TextHit | TokenHit)[], index: number): void {
  if (!hits[index]) return;
  useSearchStore.setState({ at: index });
  visitHit(hits[index]);
}
