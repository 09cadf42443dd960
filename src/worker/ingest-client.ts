/** The page's handle on the ingestion worker (one worker, created on first use, spoken to through Comlink). */
import * as Comlink from 'comlink';
import type { IngestApi, IngestCallbacks } from './ingest.worker';
import { bundleReceiver, type PackedBundleEntry, type ReceivedBundle } from './bundle-transfer';
import type { ParseResult } from '../core/trajectory/ingest';
import { unpackTrajectoryScores } from '../core/scores/packed';

let remote: Comlink.Remote<IngestApi> | null = null;

export interface IngestClient {
  /** Resolves with what was not already delivered through `onBatch`. */
  parseBlob(name: string, blob: Blob, callbacks?: IngestCallbacks): Promise<ParseResult>;
  /** A validated bundle, or why not (`isBundleError`: the text is a BundleError's, naming file, place and reason). */
  decodeBundle(name: string, blob: Blob): Promise<ReceivedBundle>;
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
      // Each slice is its own message and task: deserialised and unpacked as it arrives.
      const receiver = bundleReceiver();
      return receiver.finish(await api.decodeBundle(name, blob, Comlink.proxy((slice: PackedBundleEntry[]) => receiver.onEntries(slice))));
    },
  };
}

/** Score records come packed from the worker (see ingest.worker.ts). */
function unpacked(result: ParseResult): ParseResult {
  return { ...result, trajectories: result.trajectories.map(unpackTrajectoryScores) };
}
