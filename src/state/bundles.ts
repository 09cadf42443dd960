/**
 * Analysis bundles in and out of the app's stores (the format itself is src/core/bundle):
 * export the chosen trajectories with their scores, notes, settings and the names of the model
 * pairs that scored them; import a bundle all or nothing — it is decoded and validated completely (in the
 * ingestion worker) before the first store changes, and a failure while applying puts every store back as it was.
 */
import { name as APP_NAME, version as APP_VERSION } from '../../package.json';
import { ingestClient } from '../worker/ingest-client';
import { encodeBundle, looksLikeBundle, BUNDLE_FORMAT, type AnalysisBundle, type BundleEntry, type BundleScore, type ModelPairDescription } from '../core/bundle';
import type { ScoreRecord } from '../core/scores/format';
import type { ScoredTrajectory } from '../core/scoring';
import { useAppStore } from './store';
import { useScoringStore } from './scoring';
import { useAnalysisStore } from './analysis';
import { withdrawExamples } from './example-files';
import { describeModelPair, pairDescriptionOf, pairFromRecord, recordWithProvenance } from './model-pair';
import { fileOf, pathOf, type OpenedFile } from './opened-file';
import { addNotes, newNoteId, notesByKey, useNotesStore, type SessionNote } from './notes';

export { APP_NAME, APP_VERSION, describeModelPair };

/** The pair loaded now (its models by name, the dtype it was loaded with, the render mode, the engines), or null when none is loaded. */
export function currentModelPair(): ModelPairDescription | null {
  const { pairStatus, loadedPair, render } = useScoringStore.getState();
  if (!pairStatus || !loadedPair) return null;
  return pairDescriptionOf(loadedPair.models, loadedPair.dtype, render, { policy: pairStatus.policy.description, reference: pairStatus.reference.description });
}

/**
 * Who scored a result. Figures computed in this page carry their pair's names (the scoring store
 * writes them in, src/state/model-pair.ts); older ones carry only engine descriptions in
 * `policyModel` / `referenceModel` (src/core/engine/pair.ts), so for them it is the pair loaded
 * now (with none loaded, those descriptions are all there is). Figures read from a file (a score
 * file, a bundle: `device` 'precomputed') name their models in those keys, as the CLI's `score`
 * and bundle export write them; a file that names none gives null.
 */
export function modelPairOfResult(result: Pick<ScoredTrajectory, 'record' | 'device'>, current: ModelPairDescription | null = currentModelPair()): ModelPairDescription | null {
  const named = pairFromRecord(result.record);
  if (result.device !== 'precomputed' && !named?.source && current) return current;
  return named;
}

/** The score of the entry whose trajectory is `trajectoryId`: the record carries that id (a score file's repeated id was made unique, `x~2`, on load). */
function bundleScoreOf(result: ScoredTrajectory, pair: ModelPairDescription | null, trajectoryId: string): BundleScore {
  const record = recordWithProvenance(result.record, pair);
  return {
    record: record.id === trajectoryId ? record : { ...record, id: trajectoryId },
    notScored: result.notScored,
    stepLevelOnly: result.stepLevelOnly,
    tokens: result.tokens,
    messageTokenCounts: result.messageTokenCounts,
    forwardedTokens: result.forwardedTokens,
    device: result.device,
  };
}

/** The bundle of the given trajectories (in that order), with the current settings. */
export function collectBundle(keys: readonly string[], createdAt = new Date()): AnalysisBundle {
  const { trajectories, selectedKey } = useAppStore.getState();
  const { results } = useScoringStore.getState();
  const { evaluation, predictor, colourRangeMode, colourRange, showWhitespace, contextPolicy, contextTokens } = useAnalysisStore.getState();
  const current = currentModelPair();
  const notesOf = notesByKey(useNotesStore.getState().notes);
  const pairs = new Map<string, ModelPairDescription>();
  const present = keys.filter((key) => trajectories[key]);
  // Files are told apart by their opened file, not their name: two `7.json` stay two files.
  const fileNumbers = new Map<number, number>();
  const entries: BundleEntry[] = present.map((key) => {
    const loaded = trajectories[key];
    const result = results[key];
    const pair = result ? modelPairOfResult(result, current) : null;
    if (pair) {
      // The list names β too (the analysis setting the figures were shown with); records keep the pair only.
      const listed = { ...pair, beta: pair.beta ?? evaluation.beta };
      pairs.set(JSON.stringify(listed), listed);
    }
    if (!fileNumbers.has(loaded.fileId)) fileNumbers.set(loaded.fileId, fileNumbers.size);
    const notes = (notesOf.get(key) ?? []).map(({ message, tokens, text, tags, created }) => ({ message, tokens, text, tags, created }));
    return {
      fileName: loaded.fileName,
      file: fileNumbers.get(loaded.fileId)!,
      trajectory: loaded.trajectory,
      score: result ? bundleScoreOf(result, pair, loaded.trajectory.id) : null,
      ...(notes.length > 0 ? { notes } : {}),
    };
  });
  const selected = selectedKey === null ? -1 : present.indexOf(selectedKey);
  return {
    format: BUNDLE_FORMAT,
    createdAt: createdAt.toISOString(),
    app: { name: APP_NAME, version: APP_VERSION },
    modelPairs: [...pairs.values()],
    settings: { evaluation: { ...evaluation }, predictor, colourRangeMode, colourRange, showWhitespace, contextPolicy, contextTokens },
    selected: selected < 0 ? null : selected,
    entries,
  };
}

/** The gzip-compressed bundle file's bytes. */
export function exportBundleBytes(keys: readonly string[]): Uint8Array<ArrayBuffer> {
  return encodeBundle(collectBundle(keys));
}

/** Whether a dropped or picked file is a bundle (gzip magic bytes, or JSON naming the bundle format). */
export async function isBundleFile(file: Blob): Promise<boolean> {
  return looksLikeBundle(new Uint8Array(await file.slice(0, 512).arrayBuffer()));
}

/**
 * Splits bundles off a list of opened files and imports them; returns the other files (trajectory
 * files for the ingestion worker). The hook loadFiles calls.
 */
export async function importBundlesAmong<T extends File | OpenedFile>(files: readonly T[]): Promise<T[]> {
  const isBundle = await Promise.all(files.map((f) => isBundleFile(fileOf(f))));
  const rest = files.filter((_, i) => !isBundle[i]);
  await Promise.all(files.filter((_, i) => isBundle[i]).map((f) => importBundle(pathOf(f), fileOf(f))));
  return rest;
}

/**
 * Reads a bundle into the app: its trajectories (one loaded file per original file), their scores
 * (views show them with no model), its settings and selection. On any problem the file is listed
 * as failed with the reason, and nothing else changes.
 */
export async function importBundle(fileName: string, blob: Blob): Promise<void> {
  const placeholder = useAppStore.getState().beginFile(fileName, blob.size);
  bundlesOpening.add(placeholder);
  try {
    await readBundleInto(fileName, blob, placeholder);
  } finally {
    bundlesOpening.delete(placeholder);
  }
}

/** The placeholders of bundles being read: they do not count as the user's own files when examples are withdrawn. */
const bundlesOpening = new Set<number>();

async function readBundleInto(fileName: string, blob: Blob, placeholder: number): Promise<void> {
  // Decoded and validated in the ingestion worker: a large bundle must not block the page.
  const decoded = await ingestClient()
    .decodeBundle(fileName, blob)
    .catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error), isBundleError: false }));
  if ('error' in decoded) {
    const message = decoded.isBundleError ? decoded.error : `${fileName}: could not be read (${decoded.error})`;
    useAppStore.getState().failFile(placeholder, { file: fileName, message });
    return;
  }
  const { bundle } = decoded;
  try {
    applyBundle(bundle, placeholder, blob.size);
  } catch (error) {
    useAppStore.getState().failFile(placeholder, { file: fileName, message: `${fileName}: could not be opened (${error instanceof Error ? error.message : String(error)}); nothing was changed` });
  }
}

/** Groups entries by original file (its number, or in older bundles its name), in order of first appearance. */
function groupsByFile(entries: readonly BundleEntry[]): { fileName: string; indices: number[] }[] {
  const groups = new Map<string, { fileName: string; indices: number[] }>();
  entries.forEach((entry, i) => {
    const id = `${entry.file ?? ''}\u0000${entry.fileName}`;
    const group = groups.get(id);
    if (group) group.indices.push(i);
    else groups.set(id, { fileName: entry.fileName, indices: [i] });
  });
  return [...groups.values()];
}

/** Puts a validated bundle in the stores; if anything throws, every store is put back as it was. */
function applyBundle(bundle: AnalysisBundle, placeholder: number, bundleBytes: number): void {
  const before = { app: useAppStore.getState(), scoring: useScoringStore.getState(), analysis: useAnalysisStore.getState(), notes: useNotesStore.getState() };
  try {
    useAppStore.getState().removeFile(placeholder);
    // Over a fresh session the bundle replaces the examples rather than joining them.
    for (const fileId of withdrawExamples(bundlesOpening)) useAppStore.getState().removeFile(fileId);
    const keys: string[] = new Array(bundle.entries.length);
    for (const group of groupsByFile(bundle.entries)) {
      const store = useAppStore.getState();
      // The original sizes are not kept: each file gets its share of the bundle's size.
      const fileId = store.beginFile(group.fileName, Math.round((bundleBytes * group.indices.length) / bundle.entries.length));
      store.addTrajectories(
        fileId,
        group.indices.map((i) => bundle.entries[i].trajectory),
        [],
      );
      store.finishFile(fileId);
      const file = useAppStore.getState().files.find((f) => f.id === fileId);
      if (!file || file.trajectoryKeys.length !== group.indices.length) throw new Error(`the trajectories of ${group.fileName} were not all added`);
      group.indices.forEach((entryIndex, i) => (keys[entryIndex] = file.trajectoryKeys[i]));
    }
    const imported: Record<string, ScoredTrajectory> = {};
    bundle.entries.forEach((entry, i) => {
      // Figures read from a file, like a score file's: no model pair owns them, so loading one keeps them.
      if (entry.score) imported[keys[i]] = { key: keys[i], ...entry.score, device: 'precomputed' };
    });
    useScoringStore.setState((s) => ({ results: { ...s.results, ...imported } }));
    const notes: SessionNote[] = bundle.entries.flatMap((entry, i) => (entry.notes ?? []).map((note) => ({ ...note, id: newNoteId(), key: keys[i] })));
    addNotes(notes);
    const { evaluation, predictor, colourRangeMode, colourRange, showWhitespace, contextPolicy, contextTokens } = bundle.settings;
    useAnalysisStore.setState({ evaluation, predictor, colourRangeMode, colourRange, showWhitespace, contextPolicy, contextTokens });
    if (bundle.selected !== null) useAppStore.getState().select(keys[bundle.selected]);
  } catch (error) {
    useAppStore.setState(before.app, true);
    useScoringStore.setState(before.scoring, true);
    useAnalysisStore.setState(before.analysis, true);
    useNotesStore.setState(before.notes, true);
    throw error;
  }
}
