/**
 * A stand-in for the Hugging Face hub on 127.0.0.1: `/{owner}/{name}/resolve/{revision}/{file}`
 * served from local model folders (GET and HEAD, with Content-Length), 404 with the hub's
 * `Entry not found` for anything else, every request logged. Large files go out in slices with a
 * pause between them, so that a page sees download progress. The test build's /test-hub/ is
 * forwarded here (global-setup.ts).
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

export interface HubRequest {
  method: string;
  model: string | null;
  file: string | null;
  status: number;
}

export interface HubServer {
  requests: HubRequest[];
  /** GET requests that sent a file's bytes (status 200). */
  downloads(): HubRequest[];
  close(): Promise<void>;
}

const RESOLVE = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/;
/** Files above this go out in slices of this size, 30 ms apart. */
const SLICE_BYTES = 1 << 20;

export async function startHubServer(port: number, repositories: Record<string, string>): Promise<HubServer> {
  const requests: HubRequest[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const match = RESOLVE.exec(decodeURIComponent(url.pathname));
    const model = match?.[1] ?? null;
    const file = match?.[3] ?? null;
    const folder = model !== null ? repositories[model] : undefined;
    let size = -1;
    if (folder && file && !file.split('/').includes('..')) {
      try {
        const found = statSync(join(folder, file));
        if (found.isFile()) size = found.size;
      } catch {
        size = -1;
      }
    }
    const status = size < 0 ? 404 : 200;
    requests.push({ method: request.method ?? 'GET', model, file, status });
    if (status === 404) {
      response.writeHead(404, { 'Content-Type': 'application/json', 'X-Error-Code': 'EntryNotFound' });
      response.end(request.method === 'HEAD' ? undefined : JSON.stringify({ error: 'Entry not found' }));
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    const stream = createReadStream(join(folder!, file!), { highWaterMark: SLICE_BYTES });
    stream.on('data', (chunk) => {
      response.write(chunk);
      if (size > SLICE_BYTES) {
        stream.pause();
        setTimeout(() => stream.resume(), 30);
      }
    });
    stream.on('end', () => response.end());
    stream.on('error', () => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    requests,
    downloads: () => requests.filter((r) => r.method === 'GET' && r.status === 200),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
