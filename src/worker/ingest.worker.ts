/**
 * The ingestion worker: reads dropped files off the main thread (a 200 MB file must not freeze the
 * page). JSON Lines are parsed while they stream in; progress is reported in bytes.
 */
import * as Comlink from 'comlink';
import { parseTrajectoryStream, type ParseResult } from '../core/trajectory/ingest';

const api = {
  async parseBlob(name: string, blob: Blob, onProgress?: (bytesRead: number) => void): Promise<ParseResult> {
    let last = 0;
    return parseTrajectoryStream(name, blob.stream(), {
      onProgress(bytesRead) {
        // Throttle: one message per 4 MB is plenty for a progress line.
        if (onProgress && bytesRead - last >= 4 << 20) {
          last = bytesRead;
          void onProgress(bytesRead);
        }
      },
    });
  },
};

export type IngestApi = typeof api;

Comlink.expose(api);
