/** The page's handle on the ingestion worker (one worker, created on first use, spoken to through Comlink). */
import * as Comlink from 'comlink';
import type { IngestApi, IngestCallbacks, PackedBundleEntry } from './ingest.worker';
import type { AnalysisBundle, BundleEntry, BundleScore } from '../core/bundle';
import type { ParseResult } from '../core/trajectory/ingest';
import { unpackRecordOf, unpackTrajectoryScores } from '../core/scores/packed';

let remote: Comlink.Remote<IngestApi> | null = null;

export interface IngestClient {
  /** Resolves with what was not already delivered through `onBatch`. */
  parseBlob(name: string, blob: Blob, callbacks?: IngestCallbacks): Promise<ParseResult>;
  /** A validated bundle, or why not (`isBundleError`: the text is a BundleError's, naming file, place and reason). */
  decodeBundle(name: string, blob: Blob): Promise<{ bundle: AnalysisBundle } | { error: string; isBundleError: boolean }>;
}

export function ingestClient(): IngestClient {
  if (!remote) {
    const worker = new Worker(new URL('./ingest.worker.ts', import.meta.url), { type: 'module', name: 'ingest' });
    remote = Comlink.wrap<IngestApi>(worker);
  }
  const api = remote;
  return {
    parseBlob: async (name, blob, { onProgress, onBatch } = {}) =>
      unpacked(await api.parseBlob(name, blob, onProgress && Comlink.proxy(onProgress), onBatch && Comlink.proxy((batch: ParseResult) => onBatch(unpacked(batch))))),
    decodeBundle: async (name, blob) => {
      const entries: BundleEntry[] = [];
      // Each slice is its own message and task: deserialised and unpacked as it arrives.
      const onEntries = (slice: PackedBundleEntry[]) => {
        for (const entry of slice) entries.push({ ...entry, trajectory: unpackTrajectoryScores(entry.trajectory), score: entry.score && unpackRecordOf<BundleScore>(entry.score) });
      };
      const result = await api.decodeBundle(name, blob, Comlink.proxy(onEntries));
      if (!('bundle' in result)) return result;
      if (entries.length !== result.entryCount) throw new Error(`${entries.length} of the bundle's ${result.entryCount} entries arrived`);
      return { bundle: { ...result.bundle, entries } };
    },
  };
}

/** Score records come packed from the worker (see ingest.worker.ts). */
function unpacked(result: ParseResult): ParseResult {
  return { ...result, trajectories: result.trajectories.map(unpackTrajectoryScores) };
}
