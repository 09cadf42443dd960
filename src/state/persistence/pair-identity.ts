/**
 * Which model pair produced a score: the cache key of a score is (pair identity, dtype, render
 * mode, trajectory content hash). The pair identity is each model's source (where its files came
 * from) plus what the worker reports after loading it: the vocabulary fingerprint, vocabulary
 * size and context length. The device is left out on purpose: a WebGPU → WASM fallback changes
 * nothing the scores mean.
 */
import { Fnv1a64 } from '../../core/tokenizer/fingerprint';
import type { LoadedModelInfo } from '../../core/scoring';
import type { ModelDtype } from '../../core/settings';
import type { RenderMode } from '../../core/render/types';
import { canonicalJson } from './content-hash';
import { FIT_CONTEXT, type ContextPolicy } from '../../core/scoring/context-policy';

/**
 * Where a model's files came from, as text that is the same on every visit:
 * - `served:<url>@<build>`: the embedded demo pair; scores last until the app is rebuilt (its
 *   weights ship with the build);
 * - `hub:<owner/name>`: a hub repository (its current revision when scored);
 * - `folder:<name>#<files>`: a dropped folder, with a hash of every file's path, size and
 *   modification time, so a retrained model saved to the same folder is a new model;
 * - `server:<engine>:<base URL>#<served model name>`: a model a vLLM / SGLang server serves
 *   (serverModelIdentity): the same name on another server, or under another engine, is another
 *   model. Like a hub id, it names what is served now: retrain and serve under a new name.
 */
export type ModelSourceIdentity = string;

/** The identity of a served model (the URL normalised: scheme and host lower case, no trailing slash or `/v1`). */
export function serverModelIdentity(engine: string, baseUrl: string, model: string): ModelSourceIdentity {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, '');
  return `server:${engine}:${url.protocol}//${url.host}${path}#${model}`;
}

export interface ModelIdentity {
  source: ModelSourceIdentity;
  vocabularyFingerprint: string;
  vocabSize: number;
  maxContext: number;
}

/** The hash of a dropped folder's file list (path, size, last modified): cheap, no file is read. */
export function folderFilesTag(files: ReadonlyMap<string, Pick<File, 'size' | 'lastModified'>>): string {
  const hash = new Fnv1a64();
  for (const path of [...files.keys()].sort()) {
    const file = files.get(path)!;
    hash.update(`${path}\t${file.size}\t${file.lastModified}\n`);
  }
  return hash.hex();
}

export function modelIdentity(source: ModelSourceIdentity, info: Pick<LoadedModelInfo, 'vocabularyFingerprint' | 'vocabSize' | 'maxContext'>): ModelIdentity {
  return { source, vocabularyFingerprint: info.vocabularyFingerprint, vocabSize: info.vocabSize, maxContext: info.maxContext };
}

/** `pair:<16 hex digits>`: equal for the same two models however and whenever they were loaded. */
export function pairKeyOf(policy: ModelIdentity, reference: ModelIdentity): string {
  return `pair:${new Fnv1a64().update(canonicalJson({ policy, reference })).hex()}`;
}

/**
 * The score cache's key. `|` never occurs in its parts (hex hashes, dtype and render names). Scores
 * under the reference context policy get a fifth part, `last<N>`: they are other figures.
 */
export function scoreCacheKey(pairKey: string, dtype: ModelDtype, render: RenderMode, contentHash: string, context: ContextPolicy = FIT_CONTEXT): string {
  const base = `${pairKey}|${dtype}|${render}|${contentHash}`;
  return context.policy === 'fit' ? base : `${base}|last${context.tokens}`;
}
