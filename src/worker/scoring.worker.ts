/**
 * The scoring worker: the scoring service (scoring-service.ts, core's scoring path) on the
 * browser host, spoken to through Comlink. Results cross to the page packed, buffers transferred.
 */
import * as Comlink from 'comlink';
import { packRecordOf, packedBuffers } from '../core/scores/packed';
import { configureBrowserRuntime, browserModelFiles, locateBrowserModel } from './browser-model-host';
import { chooseDevice } from './device';
import { registerDroppedFolder, unregisterDroppedFolder } from './model-files';
import { fetchThrough, type PageFetcher } from './page-fetch';
import { createScoringService } from './scoring-service';
import type { JobProgress, PackedScoredTrajectory, PairStatus, ScoringClient } from './scoring-protocol';

configureBrowserRuntime(self.location.origin);

/** The page's requests, lent by scoring-client.ts: servers are reached under the page's policy, not this worker's. */
let pageFetcher: PageFetcher | null = null;

const service = createScoringService({
  files: browserModelFiles,
  locate: (source) => locateBrowserModel(source, self.location.origin),
  chooseDevice,
  registerFolder: registerDroppedFolder,
  unregisterFolder: unregisterDroppedFolder,
  serverFetch: (kind) => {
    if (!pageFetcher) throw new Error('the page has not lent its requests to the scoring worker');
    return fetchThrough(pageFetcher, kind);
  },
});

/** Job callbacks as they cross the worker boundary: results packed. */
export interface PackedJobCallbacks {
  onProgress?(progress: JobProgress): void;
  /** Unpack with `unpackScoredTrajectory` (scoring-client.ts). */
  onResult?(result: PackedScoredTrajectory): void;
  onError?(key: string, message: string): void;
  onFallback?(status: PairStatus): void;
}

const api = {
  ...service,
  lendPageFetcher(fetcher: PageFetcher) {
    pageFetcher = fetcher;
  },
  score(jobId: number, items: Parameters<ScoringClient['score']>[1], render: Parameters<ScoringClient['score']>[2], callbacks: PackedJobCallbacks, context?: Parameters<ScoringClient['score']>[4]) {
    return service.score(jobId, items, render, {
      ...(callbacks.onProgress ? { onProgress: (p: JobProgress) => callbacks.onProgress!(p) } : {}),
      ...(callbacks.onError ? { onError: (key: string, message: string) => callbacks.onError!(key, message) } : {}),
      ...(callbacks.onFallback ? { onFallback: (status: PairStatus) => callbacks.onFallback!(status) } : {}),
      onResult: (result) => {
        const packed = packRecordOf(result);
        callbacks.onResult?.(Comlink.transfer(packed, packedBuffers(packed.record)));
      },
    }, context);
  },
};

export type ScoringWorkerApi = typeof api;
Comlink.expose(api);
