/**
 * The browser host of the scoring path (runs in the scoring worker): where model sources live
 * (served folders, dropped folders, the hub), reading a model file back (through transformers.js'
 * fetch for local folders, from its Cache Storage for hub models), and onnxruntime-web's set-up.
 */
import { env } from '@huggingface/transformers';
import { HUGGING_FACE_HUB, hubFileUrl, joinPath, type ModelFileReader } from '../core/engine/model-location';
import type { ModelSpec } from '../core/scoring';
import { DROPPED_MODELS_PREFIX, fetchWithDroppedFolders } from './model-files';
import type { ModelFilesSource } from './scoring-protocol';

export function locateBrowserModel(source: ModelFilesSource, origin: string): ModelSpec {
  switch (source.kind) {
    case 'served':
      // A path, not a URL: transformers.js only reads "local" models from paths (a full URL counts as remote).
      return { location: { modelId: source.id, localModelPath: new URL(source.baseUrl, origin).pathname }, label: `served folder ${source.id}`, remote: false };
    case 'dropped':
      return { location: { modelId: source.id, localModelPath: DROPPED_MODELS_PREFIX }, label: `dropped folder ${source.id.replace(/-\d+$/, '')}`, remote: false };
    case 'hub':
      return {
        location: { modelId: source.id, ...(source.hub ? { hub: source.hub } : {}) },
        label: `hub model "${source.id}"${source.hub && source.hub.host !== HUGGING_FACE_HUB.host ? ` at ${source.hub.host}` : ''}`,
        remote: true,
      };
  }
}

export const browserModelFiles: ModelFileReader = {
  async readModelFile(location, path) {
    try {
      if (location.localModelPath !== undefined) {
        // Served and dropped folders both answer through transformers.js' fetch (wrapped below).
        const response = await env.fetch(joinPath(location.localModelPath, location.modelId, path));
        return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
      }
      if (typeof caches === 'undefined' || !env.useBrowserCache) return null;
      // The key transformers.js cached the download under (model-location.ts builds the same URL).
      const remote = hubFileUrl(location.hub ?? HUGGING_FACE_HUB, location.modelId, path);
      const cached = await (await caches.open(env.cacheKey)).match(remote);
      return cached ? new Uint8Array(await cached.arrayBuffer()) : null;
    } catch {
      return null;
    }
  },
};

/**
 * WASM threads for onnxruntime-web: one per core, less `reserveCores` (at least 1), when the page
 * is cross-origin isolated (SharedArrayBuffer needs it), else 1. Call before the first session is
 * created. Returns the count.
 */
export function configureWasmThreads(reserveCores = 0): number {
  const threads = globalThis.crossOriginIsolated === true ? Math.max(1, (navigator.hardwareConcurrency ?? 1) - reserveCores) : 1;
  const wasm = env.backends.onnx.wasm as { numThreads?: number } | undefined;
  if (wasm) wasm.numThreads = threads;
  return threads;
}

/** transformers.js in the worker: the self-hosted runtime, dropped folders served from memory. */
export function configureBrowserRuntime(origin: string): void {
  const ortBase = new URL('/ort/', origin).href;
  const onnxWasm = env.backends.onnx.wasm as { wasmPaths?: unknown } | undefined;
  if (onnxWasm) {
    // Self-hosted runtime (vite.config.ts serves it): no CDN, works offline and under COEP.
    onnxWasm.wasmPaths = { mjs: `${ortBase}ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${ortBase}ort-wasm-simd-threaded.asyncify.wasm` };
  }
  env.fetch = fetchWithDroppedFolders(fetch.bind(globalThis));
  // transformers.js would re-serve onnxruntime's glue script from a blob: URL, which the app's
  // Content-Security-Policy does not allow as a script source; the self-hosted file is imported as it is.
  env.useWasmCache = false;
  // One core stays with the page: on a 2-core machine two WASM threads starve the UI while scoring.
  configureWasmThreads(1);
}
