/**
 * Model folders the user drops (config.json, tokenizer files, onnx/model*.onnx) are served to
 * transformers.js from memory: `env.fetch` answers requests under a virtual prefix from the
 * dropped files, and passes everything else to the real fetch.
 */

/** transformers.js asks for `${localModelPath}${modelId}/${file}`; dropped folders live under this path. */
export const DROPPED_MODELS_PREFIX = '/__dropped-models__/';

const folders = new Map<string, Map<string, Blob>>();

/**
 * Registers a dropped folder's files (paths relative to the folder, e.g. `onnx/model.onnx`) and
 * returns the model id to pass to `from_pretrained` with `localModelPath = DROPPED_MODELS_PREFIX`.
 */
export function registerDroppedFolder(name: string, files: ReadonlyMap<string, Blob>): string {
  const id = `${name.replace(/[^A-Za-z0-9._-]/g, '_')}-${folders.size + 1}`;
  folders.set(id, new Map(files));
  return id;
}

export function unregisterDroppedFolder(id: string): void {
  folders.delete(id);
}

/** The folder's files, or null when `url` is not under the dropped-models prefix. */
export function lookupDroppedFile(url: string): Blob | null | 'missing' {
  const path = new URL(url, 'http://x').pathname;
  if (!path.startsWith(DROPPED_MODELS_PREFIX)) return null;
  const rest = decodeURIComponent(path.slice(DROPPED_MODELS_PREFIX.length));
  const slash = rest.indexOf('/');
  const folder = folders.get(rest.slice(0, slash));
  return folder?.get(rest.slice(slash + 1)) ?? 'missing';
}

/** A fetch that serves dropped files and defers to `fallback` for everything else. */
export function fetchWithDroppedFolders(fallback: typeof fetch): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const found = lookupDroppedFile(url);
    if (found === null) return fallback(input, init);
    if (found === 'missing') return new Response(null, { status: 404, statusText: 'not in the dropped folder' });
    return new Response(found, { status: 200, headers: { 'Content-Length': String(found.size) } });
  };
}
