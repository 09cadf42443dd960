/**
 * The page's handle on the scoring worker: a ScoringClient (scoring-protocol.ts) over the worker,
 * created on first use. Comlink stays inside this file: callbacks are proxied here and results
 * unpacked here, so the page sees plain records.
 */
import * as Comlink from 'comlink';
import { unpackRecordOf } from '../core/scores/packed';
import { createPageFetcher } from './page-fetch';
import type { ScoringWorkerApi } from './scoring.worker';
import type { PackedScoredTrajectory, ScoredTrajectory, ScoringClient } from './scoring-protocol';

export type * from './scoring-protocol';
// The page's requests to vLLM / SGLang servers (its connection check uses them as the worker does).
export { connectOriginsInForce, createPageFetcher, fetchThrough, serverOriginOf } from './page-fetch';

/** A result as the worker sends it (packed, buffers transferred) back to the plain record. */
export function unpackScoredTrajectory(result: PackedScoredTrajectory): ScoredTrajectory {
  return unpackRecordOf<ScoredTrajectory>(result);
}

let client: ScoringClient | null = null;

export function scoringClient(): ScoringClient {
  if (client) return client;
  const remote = Comlink.wrap<ScoringWorkerApi>(new Worker(new URL('./scoring.worker.ts', import.meta.url), { type: 'module', name: 'scoring' }));
  // Served pairs' requests are made here, under the page's Content-Security-Policy (page-fetch.ts).
  void remote.lendPageFetcher(Comlink.proxy(createPageFetcher()));
  client = {
    registerFolder: (name, files) => remote.registerFolder(name, files),
    loadPair: (request, onProgress) => remote.loadPair(request, onProgress && Comlink.proxy(onProgress)),
    status: () => remote.status(),
    unload: () => remote.unload(),
    newJobId: () => remote.newJobId(),
    cancel: (jobId) => remote.cancel(jobId),
    score: (jobId, items, render, callbacks, context) =>
      remote.score(
        jobId,
        items,
        render,
        Comlink.proxy({
          onProgress: callbacks.onProgress && ((progress) => callbacks.onProgress!(progress)),
          onResult: callbacks.onResult && ((packed: PackedScoredTrajectory) => callbacks.onResult!(unpackScoredTrajectory(packed))),
          onError: callbacks.onError && ((key: string, message: string) => callbacks.onError!(key, message)),
          onFallback: callbacks.onFallback && ((status) => callbacks.onFallback!(status)),
        }),
        context,
      ),
  };
  return client;
}
