/**
 * The trajectory list's filters and sort, and the visible order they produce. The keyboard's
 * n/p and the list both walk this order.
 */
import { useMemo } from 'react';
import { z } from 'zod';
import { create } from 'zustand';
import { persistWhole } from './persisted';
import type { LoadedTrajectory } from './store';
import { useAppStore } from './store';
import { computeAnalysis, scoredRecordsInOrder, useAnalysis, useAnalysisStore, type Analysis } from './analysis';
import { useScoringStore } from './scoring';
import type { ParsedScoreRecord } from '../core/scores/format';
import type { TrajectoryEvaluation } from '../core/scores/evaluate';
import { useNotesStore, noteTagsByKey } from './notes';

export const OUTCOME_FILTERS = ['all', 'success', 'failure', 'unlabelled'] as const;
export const MISTAKE_FILTERS = ['all', 'labelled', 'unlabelled'] as const;
export const SORT_ORDERS = ['loaded', 'score-desc', 'score-asc'] as const;
export type OutcomeFilter = (typeof OUTCOME_FILTERS)[number];
export type MistakeFilter = (typeof MISTAKE_FILTERS)[number];
export type SortOrder = (typeof SORT_ORDERS)[number];
export const NOTE_FILTERS = ['any', 'with-notes'] as const;

/** The list's filters with their defaults (what the session keeps of them). */
export const listFiltersSchema = z.object({
  fileId: z.union([z.number().int(), z.literal('all')]).default('all'),
  format: z.string().default('all'),
  task: z.string().default(''),
  outcome: z.enum(OUTCOME_FILTERS).default('all'),
  mistake: z.enum(MISTAKE_FILTERS).default('all'),
  /** Case-insensitive text searched in every message's content and tool calls. */
  search: z.string().default(''),
  /** Trajectories with notes only (src/state/notes), and of those, with a note carrying `noteTag` when it is not empty. */
  notes: z.enum(NOTE_FILTERS).default('any'),
  noteTag: z.string().default(''),
  sort: z.enum(SORT_ORDERS).default('loaded'),
});
export type ListFilters = z.infer<typeof listFiltersSchema>;

export const DEFAULT_LIST_FILTERS: ListFilters = listFiltersSchema.parse({});

export const useListStore = create<ListFilters>()(() => DEFAULT_LIST_FILTERS);

/** The session keeps the filters under `listFilters`; a filter on a file that is no longer open shows all files. */
export const listPersistence = persistWhole(useListStore, 'listFilters', listFiltersSchema, (saved, context) =>
  saved.fileId === 'all' || context.hasFile(saved.fileId) ? saved : { ...saved, fileId: 'all' as const },
);

export function setListFilters(patch: Partial<ListFilters>): void {
  useListStore.setState(patch);
}

function matchesText(entry: LoadedTrajectory, needle: string): boolean {
  if (entry.trajectory.id.toLowerCase().includes(needle)) return true;
  for (const m of entry.trajectory.messages) {
    if (m.content.toLowerCase().includes(needle)) return true;
    for (const call of m.toolCalls ?? []) {
      if (call.name.toLowerCase().includes(needle) || JSON.stringify(call.arguments).toLowerCase().includes(needle)) return true;
    }
  }
  return false;
}

/** Pure: the keys that pass the filters, in the chosen order (unscored trajectories last when sorting by score). */
export function visibleKeys(
  order: readonly string[],
  trajectories: Readonly<Record<string, LoadedTrajectory>>,
  filters: ListFilters,
  evaluations: ReadonlyMap<string, TrajectoryEvaluation>,
  /** Each trajectory's notes' tags, one list per note (the notes filter reads it; absent: no trajectory has notes). */
  noteTags: ReadonlyMap<string, readonly (readonly string[])[]> = new Map(),
): string[] {
  const needle = filters.search.trim().toLowerCase();
  const task = filters.task.trim().toLowerCase();
  const keys = order.filter((key) => {
    const entry = trajectories[key];
    if (!entry) return false;
    const t = entry.trajectory;
    if (filters.fileId !== 'all' && entry.fileId !== filters.fileId) return false;
    if (filters.format !== 'all' && t.format !== filters.format) return false;
    if (task && !(t.taskId ?? '').toLowerCase().includes(task)) return false;
    if (filters.outcome === 'success' && t.labels.success !== true) return false;
    if (filters.outcome === 'failure' && t.labels.success !== false) return false;
    if (filters.outcome === 'unlabelled' && t.labels.success !== undefined) return false;
    if (filters.mistake === 'labelled' && t.labels.mistakeStep === undefined) return false;
    if (filters.mistake === 'unlabelled' && t.labels.mistakeStep !== undefined) return false;
    if (filters.notes === 'with-notes') {
      const tags = noteTags.get(key);
      if (!tags || tags.length === 0) return false;
      if (filters.noteTag !== '' && !tags.some((noteTags) => noteTags.includes(filters.noteTag))) return false;
    }
    return needle === '' || matchesText(entry, needle);
  });
  if (filters.sort === 'loaded') return keys;
  const sign = filters.sort === 'score-desc' ? -1 : 1;
  const scoreOf = (key: string) => evaluations.get(key)?.score ?? null;
  // Stable: equal scores keep load order; unscored go last either way.
  return keys
    .map((key, i) => ({ key, i, score: scoreOf(key) }))
    .sort((a, b) => {
      if (a.score === null || b.score === null) return a.score === b.score ? a.i - b.i : a.score === null ? 1 : -1;
      return a.score === b.score ? a.i - b.i : sign * (a.score - b.score);
    })
    .map((x) => x.key);
}

export function useVisibleKeys(): string[] {
  const order = useAppStore((s) => s.trajectoryOrder);
  const trajectories = useAppStore((s) => s.trajectories);
  const filters = useListStore();
  const { byKey } = useAnalysis();
  const notes = useNotesStore((s) => s.notes);
  const noteTags = useMemo(() => noteTagsByKey(notes), [notes]);
  return useMemo(() => visibleKeys(order, trajectories, filters, byKey, noteTags), [order, trajectories, filters, byKey, noteTags]);
}

/** What the dataset view evaluates: the listed (filtered) trajectories, and what it left out and why. */
export interface ListedAnalysis extends Analysis {
  /** The listed trajectories' scored records in load order, as the core evaluates them (the sweep and baselines read these). */
  records: ParsedScoreRecord[];
  /** Trajectories the list shows (its filters), and all loaded. */
  listed: number;
  loaded: number;
  /** Listed trajectories not scored yet (no result). */
  notScoredYet: number;
}

/**
 * The listed trajectories in load order (not the list's sort, so that best-of-N's ties go to the
 * first loaded, as in `eval` on the same records). Pure.
 */
export function listedKeysInLoadOrder(order: readonly string[], visible: readonly string[]): string[] {
  const shown = new Set(visible);
  return order.filter((key) => shown.has(key));
}

/** The evaluation of the listed trajectories (the dataset view's scope), recomputed when the list, results or settings change. */
export function useListedAnalysis(): ListedAnalysis {
  const visible = useVisibleKeys();
  const order = useAppStore((s) => s.trajectoryOrder);
  const trajectories = useAppStore((s) => s.trajectories);
  const results = useScoringStore((s) => s.results);
  const options = useAnalysisStore((s) => s.evaluation);
  return useMemo(() => {
    const listed = listedKeysInLoadOrder(order, visible);
    const analysis = computeAnalysis(listed, results, options, trajectories);
    const { records } = scoredRecordsInOrder(listed, results, trajectories);
    return { ...analysis, records, listed: listed.length, loaded: order.length, notScoredYet: listed.length - records.length };
  }, [visible, order, trajectories, results, options]);
}
