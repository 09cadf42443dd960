/** The page's handle on the ingestion worker (one worker, created on first use, spoken to through Comlink). */
import * as Comlink from 'comlink';
import type { IngestApi } from './ingest.worker';

let remote: Comlink.Remote<IngestApi> | null = null;

export interface IngestClient {
  parseBlob(name: string, blob: Blob, onProgress?: (bytesRead: number) => void): ReturnType<IngestApi['parseBlob']>;
}

export function ingestClient(): IngestClient {
  if (!remote) {
    const worker = new Worker(new URL('./ingest.worker.ts', import.meta.url), { type: 'module', name: 'ingest' });
    remote = Comlink.wrap<IngestApi>(worker);
  }
  const api = remote;
  return {
    parseBlob: (name, blob, onProgress) => api.parseBlob(name, blob, onProgress ? Comlink.proxy(onProgress) : undefined),
  };
}
