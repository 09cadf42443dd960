/**
 * Which open files the examples opened (state/load-files.ts `loadExamples`), so that an analysis
 * bundle opened over a fresh session replaces them instead of joining them (state/bundles.ts).
 * Only this page's examples are known: a session restored from storage has none marked.
 */
import { useAppStore } from './store';

const exampleFileIds = new Set<number>();
let withdrawn = false;

export function markExampleFile(fileId: number): void {
  exampleFileIds.add(fileId);
}

/** True once a bundle has replaced the examples: the ones still to be fetched are not opened. */
export function examplesWithdrawn(): boolean {
  return withdrawn;
}

/**
 * When every open file is one the examples opened, or none is open yet, stops the examples still
 * to come and returns the ids of the open ones for the caller to close. Files that failed to open
 * (a damaged bundle tried first) and `ignoring` (other bundles being opened) do not count. Once
 * the user has opened a file of their own, withdraws nothing and returns an empty list.
 */
export function withdrawExamples(ignoring: ReadonlySet<number> = new Set()): number[] {
  const files = useAppStore.getState().files.filter((f) => !ignoring.has(f.id));
  if (!files.every((f) => exampleFileIds.has(f.id) || f.status === 'failed')) return [];
  withdrawn = true;
  return files.filter((f) => exampleFileIds.has(f.id)).map((f) => f.id);
}

/** Forgets the marks (for tests). */
export function resetExampleFiles(): void {
  exampleFileIds.clear();
  withdrawn = false;
}
