/** Actions that read files through the ingestion worker and put the result in the store. */
import { ingestClient } from '../worker/ingest-client';
import { useAppStore } from './store';
import type { ParseResult } from '../core/trajectory/ingest';
import type { ScoreRecord } from '../core/scores/format';
import type { NotScoredStep } from '../core/engine/pair';
import type { ScoredTrajectory } from '../core/scoring';
import { supersedeAutoDemo, useScoringStore } from './scoring';
import { importBundlesAmong } from './bundles';
import { examplesWithdrawn, markExampleFile, resetExampleFiles } from './example-files';
import { byPath, fileOf, isTrajectoryPath, pathOf, type OpenedFile } from './opened-file';
import { appendAll } from '../core/arrays';
import { gzipHoldsTar } from '../core/trajectory/archive/tar-entries';

let restoreFinished: Promise<void> = Promise.resolve();

/**
 * Files opened while the saved session is being restored wait for it: file ids (part of every
 * trajectory key) must be numbered after the restored files'.
 */
export function holdFileOpeningUntil(done: Promise<void>): void {
  restoreFinished = done;
}

/** Opens files: each is known by its path (a folder pick's or a dropped folder's relative path) or its name. */
export async function loadFiles(opened: readonly (File | OpenedFile)[]): Promise<void> {
  // The user's own files: the first visit's demo (loading or scoring by itself) stops where it is.
  supersedeAutoDemo();
  await restoreFinished;
  // Analysis bundles (gzip, or JSON naming the bundle format) go to their importer, state/bundles.ts;
  // a .tar.gz is gzip too, but holds trajectory files: the worker reads it (core/trajectory/archive).
  const tarballs = await Promise.all(opened.map((file) => isTarball(fileOf(file))));
  const notBundles = new Set(await importBundlesAmong(opened.filter((_, i) => !tarballs[i])));
  const files = opened.filter((file, i) => tarballs[i] || notBundles.has(file));
  // Register every file first so the list shows them in the order they were opened.
  const ids = files.map((file) => useAppStore.getState().beginFile(pathOf(file), fileOf(file).size));
  await Promise.all(files.map((file, i) => parseInto(ids[i], pathOf(file), fileOf(file))));
}

/** Compressed bytes enough to decompress a tar archive's first header from. */
const TARBALL_HEAD_BYTES = 64 * 1024;

async function isTarball(file: Blob): Promise<boolean> {
  return gzipHoldsTar(new Uint8Array(await file.slice(0, TARBALL_HEAD_BYTES).arrayBuffer()));
}

/**
 * Opens what a folder holds (a folder pick, or folders dropped on the page): its trajectory files
 * in path order, each known by its path inside the folder; other files (README, LICENSE, hidden
 * ones) are left out. Returns how many were left out.
 */
export async function loadFolder(files: readonly (File | OpenedFile)[]): Promise<{ opened: number; skipped: number }> {
  const wanted = byPath(files.filter((f) => isTrajectoryPath(pathOf(f))));
  await loadFiles(wanted);
  return { opened: wanted.length, skipped: files.length - wanted.length };
}

export async function loadBlob(name: string, blob: Blob): Promise<void> {
  await restoreFinished;
  await parseInto(useAppStore.getState().beginFile(name, blob.size), name, blob);
}

/** Batches from the worker are applied to the store at most this often. */
const STORE_UPDATE_INTERVAL_MS = 250;
/**
 * And no more often than keeps the page's share of a load's time under this: an update costs time in
 * proportion to what is already loaded (the store's records, the analysis and list views that
 * follow it), so fixed intervals would make a big file's load quadratic in its size.
 */
const STORE_UPDATE_SHARE = 0.2;

/** Trajectories one update adds at most: a JSON document's arrive all at once, and one update of 150,000 is a long task. */
const MAX_TRAJECTORIES_PER_UPDATE = 20_000;

/** The wait before the next update, from what the last one cost (the store's work and the render it caused). */
function nextUpdateDelay(lastUpdateMs: number): number {
  return Math.max(STORE_UPDATE_INTERVAL_MS, (lastUpdateMs * (1 - STORE_UPDATE_SHARE)) / STORE_UPDATE_SHARE);
}

async function parseInto(fileId: number, name: string, blob: Blob): Promise<void> {
  const pending: ParseResult = { trajectories: [], errors: [] };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = STORE_UPDATE_INTERVAL_MS;
  const apply = () => {
    timer = undefined;
    const started = performance.now();
    const firstNew = useAppStore.getState().files.find((f) => f.id === fileId)?.trajectoryKeys.length ?? 0;
    useAppStore.getState().addTrajectories(fileId, pending.trajectories.splice(0, MAX_TRAJECTORIES_PER_UPDATE), pending.errors.splice(0));
    adoptPrecomputedScores(fileId, firstNew);
    // React renders a store update in a microtask queued by the update: one queued now runs after
    // that render, and before the messages and writes waiting on the page (they are not this update's cost).
    queueMicrotask(() => {
      delay = nextUpdateDelay(performance.now() - started);
    });
    if (pending.trajectories.length > 0) timer ??= setTimeout(apply, delay);
  };
  try {
    const result = await ingestClient().parseBlob(name, blob, {
      onProgress: (bytesRead) => useAppStore.getState().fileProgress(fileId, bytesRead),
      onBatch: (batch) => {
        appendAll(pending.trajectories, batch.trajectories);
        appendAll(pending.errors, batch.errors);
        timer ??= setTimeout(apply, delay);
      },
    });
    clearTimeout(timer);
    appendAll(pending.trajectories, result.trajectories);
    appendAll(pending.errors, result.errors);
    // The rest in updates of at most MAX_TRAJECTORIES_PER_UPDATE, each its own task, then the file is finished.
    for (;;) {
      apply();
      clearTimeout(timer);
      timer = undefined;
      if (pending.trajectories.length === 0) break;
      await new Promise((next) => setTimeout(next, 0));
    }
    useAppStore.getState().finishFile(fileId);
  } catch (err) {
    useAppStore.getState().failFile(fileId, { file: name, message: `${name}: ${err instanceof Error ? err.message : String(err)}` });
  }
}

/** The manifest `public/examples/index.json` lists the example files a fresh session opens with. */
let examplesRequested = false;
/** The example files' names the manifest listed (empty until it is read). */
let exampleNames: string[] = [];

export function openedExampleNames(): readonly string[] {
  return exampleNames;
}

/** Opens the examples again (the empty page's offer after "Clear session"); returns their names. */
export async function reopenExamples(base = import.meta.env.BASE_URL): Promise<readonly string[]> {
  examplesRequested = false;
  resetExampleFiles();
  await loadExamples(base);
  return exampleNames;
}

export async function loadExamples(base = import.meta.env.BASE_URL): Promise<void> {
  // React's StrictMode runs effects twice in development: load the examples once.
  if (examplesRequested || useAppStore.getState().files.length > 0) return;
  examplesRequested = true;
  let names: string[];
  try {
    const res = await fetch(`${base}examples/index.json`);
    if (!res.ok) return;
    const manifest = (await res.json()) as { files?: unknown };
    names = Array.isArray(manifest.files) ? manifest.files.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return;
  }
  exampleNames = names;
  for (const name of names) {
    if (examplesWithdrawn()) return;
    const res = await fetch(`${base}examples/${encodeURIComponent(name)}`);
    if (!res.ok) {
      if (examplesWithdrawn()) return;
      const id = useAppStore.getState().beginFile(name, 0);
      markExampleFile(id);
      useAppStore.getState().failFile(id, { file: name, message: `${name}: could not be fetched (HTTP ${res.status})` });
      continue;
    }
    const blob = await res.blob();
    if (examplesWithdrawn()) return;
    // Registered before it is parsed: a bundle opened meanwhile can withdraw it.
    const id = useAppStore.getState().beginFile(name, blob.size);
    markExampleFile(id);
    await parseInto(id, name, blob);
  }
}

/**
 * Score files (the product's JSON Lines format) carry their figures: they become results with no
 * model. `from`: the file's first trajectory not looked at before (a big file arrives in batches).
 */
export function adoptPrecomputedScores(fileId: number, from = 0): void {
  const { files, trajectories } = useAppStore.getState();
  const keys = files.find((f) => f.id === fileId)?.trajectoryKeys ?? [];
  const results = useScoringStore.getState().results;
  const adopted: Record<string, ScoredTrajectory> = {};
  for (let index = from; index < keys.length; index++) {
    const key = keys[index];
    const record = trajectories[key]?.trajectory.metadata.scoreRecord as ScoreRecord | undefined;
    if (!record || results[key]) continue;
    const notScored = Array.isArray(record.notScored) ? (record.notScored as NotScoredStep[]) : [];
    adopted[key] = {
      key,
      record,
      notScored,
      stepLevelOnly: record.scoreLevel === 'step',
      tokens: 0,
      messageTokenCounts: [],
      forwardedTokens: 0,
      device: 'precomputed',
    };
  }
  if (Object.keys(adopted).length > 0) useScoringStore.setState((s) => ({ results: { ...s.results, ...adopted } }));
}
