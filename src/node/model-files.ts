/**
 * The Node host's model files (CLI, bench, tests): a local folder's files from the file system,
 * a hub model's from transformers.js' file cache. Nothing is downloaded a second time.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { env } from '@huggingface/transformers';
import { joinPath, type ModelFileReader, type ModelLocation } from '../core/engine/model-location';

export const nodeModelFiles: ModelFileReader = {
  async readModelFile(location, path) {
    const relative = joinPath(location.modelId, path);
    const candidates = location.localModelPath !== undefined ? [joinPath(location.localModelPath, relative)] : env.cacheDir ? [joinPath(env.cacheDir, relative)] : [];
    for (const candidate of candidates) {
      try {
        const bytes = await readFile(candidate);
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch {
        // not there: try the next place
      }
    }
    return null;
  },
};

/** A model folder on disk as transformers.js addresses it: the folder's name under its parent. */
export function folderLocation(folder: string): ModelLocation {
  const path = resolve(folder);
  return { modelId: basename(path), localModelPath: dirname(path) };
}
