/**
 * An analysis bundle on its way from the ingestion worker to the page. The worker decodes and
 * validates the whole bundle (all or nothing), then sends its entries in slices — score records
 * packed, their buffers marked for transfer — and the page unpacks each slice as it arrives, so no
 * single message or task carries thousands of trajectories. Both halves are plain functions: the
 * worker and the client wire them to Comlink, and tests can join them directly.
 */
import * as Comlink from 'comlink';
import { BundleError, decodeBundle, type AnalysisBundle, type BundleEntry, type BundleScore } from '../core/bundle';
import { isPackedScoreRecord, packRecordOf, packTrajectoryScores, unpackRecordOf, unpackTrajectoryScores, type PackedRecordOf, type PackedScoreRecord } from '../core/scores/packed';
import { shareOneBuffer } from './one-buffer';

export type PackedBundleEntry = Omit<BundleEntry, 'score'> & { score: PackedRecordOf<BundleScore> | null };

/** The bundle without its entries (they come through `onEntries`, in order), or why it cannot be read. */
export type BundleDecodeResult = { bundle: Omit<AnalysisBundle, 'entries'>; entryCount: number } | { error: string; isBundleError: boolean };

/** What the page gets: a validated bundle, or why not (`isBundleError`: a BundleError's text, naming file, place and reason). */
export type ReceivedBundle = { bundle: AnalysisBundle } | { error: string; isBundleError: boolean };

/** Entries per message to the page: deserialising and unpacking one slice stays a short task. */
export const BUNDLE_ENTRIES_PER_MESSAGE = 500;

/** Worker side: decode and validate, then hand the entries over slice by slice (each awaited), then the rest. */
export async function sendBundle(name: string, blob: Blob, onEntries: (entries: PackedBundleEntry[]) => unknown): Promise<BundleDecodeResult> {
  let bundle: AnalysisBundle;
  try {
    bundle = await decodeBundle(blob, name);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), isBundleError: error instanceof BundleError };
  }
  const { entries, ...rest } = bundle;
  for (let start = 0; start < entries.length; start += BUNDLE_ENTRIES_PER_MESSAGE) {
    const slice = entries.slice(start, start + BUNDLE_ENTRIES_PER_MESSAGE).map(packedEntry);
    await onEntries(Comlink.transfer(slice, shareOneBuffer(slice.flatMap(entryRecords))));
  }
  return { bundle: rest, entryCount: entries.length };
}

/** Page side: collects the unpacked entries, then assembles the bundle from the final result. */
export function bundleReceiver(): { onEntries(slice: PackedBundleEntry[]): void; finish(result: BundleDecodeResult): ReceivedBundle } {
  const entries: BundleEntry[] = [];
  return {
    onEntries(slice) {
      for (const entry of slice) entries.push({ ...entry, trajectory: unpackTrajectoryScores(entry.trajectory), score: entry.score && unpackRecordOf<BundleScore>(entry.score) });
    },
    finish(result) {
      if (!('bundle' in result)) return result;
      if (entries.length !== result.entryCount) throw new Error(`${entries.length} of the bundle's ${result.entryCount} entries arrived`);
      return { bundle: { ...result.bundle, entries } };
    },
  };
}

function packedEntry(entry: BundleEntry): PackedBundleEntry {
  return { ...entry, trajectory: packTrajectoryScores(entry.trajectory), score: entry.score && packRecordOf(entry.score) };
}

/** The packed records of an entry, for one buffer per slice (one-buffer.ts: many transferred buffers cost their count squared). */
function entryRecords(entry: PackedBundleEntry): PackedScoreRecord[] {
  const { scoreRecord } = entry.trajectory.metadata;
  return [...(isPackedScoreRecord(scoreRecord) ? [scoreRecord] : []), ...(entry.score ? [entry.score.record] : [])];
}
