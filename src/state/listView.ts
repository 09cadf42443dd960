/**
 * The trajectory list's filters and sort, and the visible order they produce. The keyboard's
 * n/p and the list both walk this order.
 */
import { useMemo } from 'react';
import { create } from 'zustand';
import type { LoadedTrajectory } from './store';
import { useAppStore } from './store';
import { useAnalysis } from './analysis';
import type { TrajectoryEvaluation } from '../core/scores/evaluate';

export type OutcomeFilter = 'all' | 'success' | 'failure' | 'unlabelled';
export type MistakeFilter = 'all' | 'labelled' | 'unlabelled';
export type SortOrder = 'loaded' | 'score-desc' | 'score-asc';

export interface ListFilters {
  fileId: number | 'all';
  format: string;
  task: string;
  outcome: OutcomeFilter;
  mistake: MistakeFilter;
  /** Case-insensitive text searched in every message's content and tool calls. */
  search: string;
  sort: SortOrder;
}

export const DEFAULT_LIST_FILTERS: ListFilters = { fileId: 'all', format: 'all', task: '', outcome: 'all', mistake: 'all', search: '', sort: 'loaded' };

export const useListStore = create<ListFilters>()(() => DEFAULT_LIST_FILTERS);

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
  return useMemo(() => visibleKeys(order, trajectories, filters, byKey), [order, trajectories, filters, byKey]);
}
