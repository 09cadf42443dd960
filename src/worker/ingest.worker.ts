/**
 * The ingestion worker: reads dropped files off the main thread (a 200 MB file must not freeze the
 * page). JSON Lines are parsed while they stream in and sent to the page in batches, so no single
 * message (and no single structured-clone on the main thread) carries the whole file. Inspect
 * `.eval` logs and `.zip` / `.tar` / `.tar.gz` archives are read here too, entry by entry as they
 * are decompressed (core/trajectory/archive/read-input.ts).
 */
import * as Comlink from 'comlink';
import type { ParseResult } from '../core/trajectory/ingest';
import { readTrajectoryInput } from '../core/trajectory/archive/read-input';
import { isPackedScoreRecord, packTrajectoryScores } from '../core/scores/packed';
import { shareOneBuffer } from './one-buffer';
import { sendBundle, type BundleDecodeResult, type PackedBundleEntry } from './bundle-transfer';
import { appendAll } from '../core/arrays';

/** Trajectories per message to the page: small enough that deserialising one batch is a short task. */
const BATCH_TRAJECTORIES = 500;
const PROGRESS_EVERY_BYTES = 4 << 20;

export interface IngestCallbacks {
  onProgress?(bytesRead: number): void;
  /** Score records arrive packed: ingest-client.ts unpacks them. */
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
    // Each batch is a call on its own proxy port: nothing orders it before this call's result, so the
    // result waits until the page has taken every batch (else the file is finished with batches still to come).
    const delivered: unknown[] = [];
    // In slices: a JSON document's trajectories all arrive at once.
    const flush = () => {
      if (!onBatch) return;
      while (pending.trajectories.length > 0 || pending.errors.length > 0) {
        delivered.push(onBatch(transferable({ trajectories: pending.trajectories.splice(0, BATCH_TRAJECTORIES), errors: pending.errors.splice(0) })));
      }
    };
    const rest = await readTrajectoryInput(name, blob.stream(), {
      onProgress(bytesRead) {
        if (onProgress && bytesRead - lastProgress >= PROGRESS_EVERY_BYTES) {
          lastProgress = bytesRead;
          void onProgress(bytesRead);
        }
      },
      onPartial: onBatch
        ? (part) => {
            appendAll(pending.trajectories, part.trajectories);
            appendAll(pending.errors, part.errors);
            if (pending.trajectories.length >= BATCH_TRAJECTORIES) flush();
          }
        : undefined,
    });
    flush();
    await Promise.all(delivered);
    return transferable(rest);
  },

  /**
   * Reads and validates an analysis bundle here rather than on the page: decompressing, JSON.parse
   * and the schema check of a large bundle would block the page for seconds (bundle-transfer.ts).
   */
  decodeBundle(name: string, blob: Blob, onEntries: (entries: PackedBundleEntry[]) => unknown): Promise<BundleDecodeResult> {
    return sendBundle(name, blob, onEntries);
  },
};

/**
 * Score files' records packed, in one buffer marked for transfer: the page unpacks them
 * (ingest-client.ts) instead of deserialising hundreds of thousands of array elements.
 */
function transferable(result: ParseResult): ParseResult {
  const packed = { ...result, trajectories: result.trajectories.map(packTrajectoryScores) };
  const records = packed.trajectories.flatMap((t) => (isPackedScoreRecord(t.metadata.scoreRecord) ? [t.metadata.scoreRecord] : []));
  return Comlink.transfer(packed, shareOneBuffer(records));
}

export type IngestApi = typeof api;

Comlink.expose(api);
