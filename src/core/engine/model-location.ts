/**
 * Where a model's files are, in transformers.js' terms, and the one place that points
 * transformers.js' global `env` at them. Hosts (Node for the CLI, bench and tests; the browser
 * worker) say where files come from; core never touches a file system or a cache itself.
 */
import { env } from '@huggingface/transformers';

export interface ModelLocation {
  /** A hub id (`onnx-community/Qwen3-0.6B-ONNX`), or a folder name under `localModelPath`. */
  modelId: string;
  /** Load from this local root only (a Node path or a URL path the host serves). Absent: from the hub only. */
  localModelPath?: string;
  /** The hub a hub id is read from; absent: huggingface.co (`HUGGING_FACE_HUB`). Tests point it at a local server. */
  hub?: HubLocation;
}

/** A server laid out like the Hugging Face hub: `{host}{pathTemplate}{file}`, `{model}` and `{revision}` filled in. */
export interface HubLocation {
  /** With a trailing slash, e.g. `https://huggingface.co/`. */
  host: string;
  /** e.g. `{model}/resolve/{revision}/`. */
  pathTemplate: string;
}

/** transformers.js' own defaults: the hub the product uses unless a test build says otherwise. */
export const HUGGING_FACE_HUB: HubLocation = { host: 'https://huggingface.co/', pathTemplate: '{model}/resolve/{revision}/' };

/** The URL of a hub model's file (`onnx/model.onnx`, `config.json`) at a revision (default main), as transformers.js builds it. */
export function hubFileUrl(hub: HubLocation, modelId: string, path: string, revision = 'main'): string {
  return joinPath(hub.host, hub.pathTemplate.replaceAll('{model}', modelId).replaceAll('{revision}', encodeURIComponent(revision)), path);
}

/** How a host reads a model file it already has, for the engine's graph edits (nothing is downloaded twice). */
export interface ModelFileReader {
  /** The bytes of `path` (relative to the model folder, e.g. `onnx/model.onnx`); null when not at hand. */
  readModelFile(location: ModelLocation, path: string): Promise<Uint8Array | null>;
}

/** transformers.js' file suffix for each dtype (onnx/model{suffix}.onnx). */
const ONNX_SUFFIX_BY_DTYPE: Readonly<Record<string, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/** The ONNX file transformers.js loads for a dtype, relative to the model folder; null for a dtype it has no file name for. */
export function onnxFileOf(dtype: string): string | null {
  const suffix = ONNX_SUFFIX_BY_DTYPE[dtype];
  return suffix === undefined ? null : `onnx/model${suffix}.onnx`;
}

/** transformers.js' own path joining: one slash between parts. */
export function joinPath(...parts: string[]): string {
  return parts
    .map((part, index) => {
      let trimmed = index > 0 ? part.replace(/^\//, '') : part;
      if (index < parts.length - 1) trimmed = trimmed.replace(/\/$/, '');
      return trimmed;
    })
    .join('/');
}

/**
 * The HTTP status of a hub model's file (a HEAD through transformers.js' fetch), null when the hub
 * cannot be reached: lets a failed load say "no such file" where transformers.js' own error does not.
 */
export async function hubFileStatus(location: ModelLocation, path: string): Promise<number | null> {
  try {
    return (await env.fetch(hubFileUrl(location.hub ?? HUGGING_FACE_HUB, location.modelId, path), { method: 'HEAD' })).status;
  } catch {
    return null;
  }
}

// `env` is global: loads that point it at different places must not overlap.
let envQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs a transformers.js load with `env` pointed at the location — its local root only, or the hub
 * only (a hub id must not silently resolve to some folder under the default local path) — and
 * restores `env` afterwards. Loads are serialised.
 */
export function withModelLocation<T>(location: ModelLocation, load: (modelId: string) => Promise<T>): Promise<T> {
  const run = async () => {
    const saved = {
      allowLocalModels: env.allowLocalModels,
      allowRemoteModels: env.allowRemoteModels,
      localModelPath: env.localModelPath,
      remoteHost: env.remoteHost,
      remotePathTemplate: env.remotePathTemplate,
    };
    if (location.localModelPath !== undefined) Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: location.localModelPath });
    else {
      const hub = location.hub ?? HUGGING_FACE_HUB;
      Object.assign(env, { allowLocalModels: false, allowRemoteModels: true, remoteHost: hub.host, remotePathTemplate: hub.pathTemplate });
    }
    try {
      return await load(location.modelId);
    } finally {
      Object.assign(env, saved);
    }
  };
  const result = envQueue.then(run);
  envQueue = result.catch(() => undefined);
  return result;
}
