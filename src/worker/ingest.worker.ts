/**
 * The ingestion worker: reads dropped files off the main thread (a 200 MB file must not freeze the
 * page). JSON Lines are parsed while they stream in and sent to the page in batches, so no single
 * message (and no single structured-clone on the main thread) carries the whole file.
 */
import * as Comlink from 'comlink';
import { parseTrajectoryStream, type ParseResult } from '../core/trajectory/ingest';
import { packRecordOf, packTrajectoryScores, packedBuffers, trajectoryScoreBuffers, type PackedRecordOf } from '../core/scores/packed';
import { BundleError, decodeBundle, type AnalysisBundle, type BundleEntry, type BundleScore } from '../core/bundle';

/** Trajectories per message to the page: small enough that deserialising one batch is a short task. */
const BATCH_TRAJECTORIES = 500;
const PROGRESS_EVERY_BYTES = 4 << 20;

export interface IngestCallbacks {
  onProgress?(bytesRead: number): void;
  /** Score records arrive packed: ingestClient.ts unpacks them. */
  onBatch?(batch: ParseResult): void;
}

const api = {
  /** Callbacks are separate arguments so each one is either a Comlink proxy or truly absent. */
  async parseBlob(
    name: string,
    blob: Blob,
    onProgress?: IngestCallbacks['onProgress'],
    onBatch?: IngestCallbacks['onBatch'],
  ): Promise<ParseResult> {
    let lastProgress = 0;
    const pending: ParseResult = { trajectories: [], errors: [] };
    const flush = () => {
      if (!onBatch || (pending.trajectories.length === 0 && pending.errors.length === 0)) return;
      void onBatch(transferable({ trajectories: pending.trajectories.splice(0), errors: pending.errors.splice(0) }));
    };
    const rest = await parseTrajectoryStream(name, blob.stream(), {
      onProgress(bytesRead) {
        if (onProgress && bytesRead - lastProgress >= PROGRESS_EVERY_BYTES) {
          lastProgress = bytesRead;
          void onProgress(bytesRead);
        }
      },
      onPartial: onBatch
        ? (part) => {
            pending.trajectories.push(...part.trajectories);
            pending.errors.push(...part.errors);
            if (pending.trajectories.length >= BATCH_TRAJECTORIES) flush();
          }
        : undefined,
    });
    flush();
    return transferable(rest);
  },

  /**
   * Reads and validates an analysis bundle here rather than on the page: decompressing, JSON.parse
   * and the schema check of a large bundle would block the page for seconds. A `BundleError`'s
   * message (file, place, reason) comes back as it is.
   */
  async decodeBundle(name: string, blob: Blob, onEntries: (entries: PackedBundleEntry[]) => void): Promise<BundleDecodeResult> {
    let bundle: PackedBundle;
    try {
      bundle = packedBundle(await decodeBundle(blob, name));
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error), isBundleError: error instanceof BundleError };
    }
    // Validated as a whole above; sent in slices (awaited, so they arrive before the result).
    for (let start = 0; start < bundle.entries.length; start += BUNDLE_ENTRIES_PER_MESSAGE) {
      const entries = bundle.entries.slice(start, start + BUNDLE_ENTRIES_PER_MESSAGE);
      await onEntries(Comlink.transfer(entries, bundleBuffers({ ...bundle, entries })));
    }
    const { entries, ...rest } = bundle;
    return { bundle: rest, entryCount: entries.length };
  },
};

/**
 * Score files' records packed, their buffers marked for transfer: the page unpacks them
 * (ingestClient.ts) instead of deserialising hundreds of thousands of array elements.
 */
function transferable(result: ParseResult): ParseResult {
  const packed = { ...result, trajectories: result.trajectories.map(packTrajectoryScores) };
  return Comlink.transfer(packed, trajectoryScoreBuffers(packed.trajectories));
}

export type IngestApi = typeof api;

/** A bundle as it crosses to the page: score records packed, buffers transferred (ingestClient.ts unpacks it). */
export type PackedBundle = Omit<AnalysisBundle, 'entries'> & {
  entries: (Omit<BundleEntry, 'score'> & { score: PackedRecordOf<BundleScore> | null })[];
};

export type PackedBundleEntry = PackedBundle['entries'][number];

/** The bundle without its entries (they come through `onEntries`, in order), or why it cannot be read. */
export type BundleDecodeResult = { bundle: Omit<PackedBundle, 'entries'>; entryCount: number } | { error: string; isBundleError: boolean };

/** Entries per message to the page: deserialising one message stays a short task. */
const BUNDLE_ENTRIES_PER_MESSAGE = 500;

function packedBundle(bundle: AnalysisBundle): PackedBundle {
  return {
    ...bundle,
    entries: bundle.entries.map((entry) => ({ ...entry, trajectory: packTrajectoryScores(entry.trajectory), score: entry.score && packRecordOf(entry.score) })),
  };
}

function bundleBuffers(bundle: PackedBundle): ArrayBuffer[] {
  return bundle.entries.flatMap((entry) => [...trajectoryScoreBuffers([entry.trajectory]), ...(entry.score ? packedBuffers(entry.score.record) : [])]);
}

Comlink.expose(api);
