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
 * When every open file (besides `ignoring`: other bundles being opened) is one the examples
 * opened, or none is open yet, stops the examples still to come and returns the ids of the open
 * ones for the caller to close. Once the user has opened a file of their own, withdraws nothing
 * and returns an empty list.
 */
export function withdrawExamples(ignoring: ReadonlySet<number> = new Set()): number[] {
  const files = useAppStore.getState().files.filter((f) => !ignoring.has(f.id));
  if (!files.every((f) => exampleFileIds.has(f.id))) return [];
  withdrawn = true;
  return files.map((f) => f.id);
}

/** Forgets the marks (for tests). */
export function resetExampleFiles(): void {
  exampleFileIds.clear();
  withdrawn = false;
}
