/**
 * `score --reference-merge ALPHA`: the paper's merged reference, π_ref(α) = π_ref + α·(π_θ − π_ref)
 * in weight space (src/core/onnx/merge.ts), scored in place of the reference. The two models'
 * ONNX files of the chosen dtype (and their external data files) are read where the Node host
 * keeps them (a folder, or transformers.js' cache / the hub for a hub id), merged, and written to
 * a temporary model folder with the reference's config.json; the reference engine loads that
 * folder, and the tokenizer stays the reference's own. The folder is removed when scoring ends.
 * The options themselves (--reference-merge, --merge-method, --merge-density: parsing, checks and
 * help lines) are here too.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { env } from '@huggingface/transformers';
import { HUGGING_FACE_HUB, hubFileUrl } from '../../core/engine/model-location';
import { DEFAULT_TIES_DENSITY, MERGE_METHODS, mergedReferenceFolder, mergedReferenceLabel, type MergeMethod, type MergeOptions } from '../../core/onnx';
import type { EngineFactory, ModelSpec } from '../../core/scoring';
import { folderLocation, nodeModelFiles } from '../../node/model-files';
import { UsageError } from '../usage';

/** What every record scored with a merged reference says about it. */
export interface ReferenceMergeProvenance {
  method: MergeMethod;
  alpha: number;
  /** `ties` only: the fraction of each tensor's task vector kept. */
  density?: number;
  /** The two sources as given on the command line. */
  reference: string;
  policy: string;
}

export interface MergedReference {
  /** The merged model as a ModelSpec (a temporary folder). */
  model: ModelSpec;
  provenance: ReferenceMergeProvenance;
  /** How `referenceModel` names it in the records. */
  label: string;
  /** What was merged, for the notice on standard error. */
  summary: string;
  remove(): Promise<void>;
}

/** `score`'s options of the merged reference, for its parseArgs. */
export const REFERENCE_MERGE_OPTIONS = {
  'reference-merge': { type: 'string' },
  'merge-method': { type: 'string' },
  'merge-density': { type: 'string' },
} as const;

/** Their lines in `score --help`. */
export const REFERENCE_MERGE_USAGE = `  --reference-merge ALPHA
                      score with the merged reference π_ref + α·(π_θ − π_ref), 0 ≤ α ≤ 1: both
                      models' ONNX weights (--dtype fp32 or fp16; quantized files are refused)
                      interpolated in weight space; the reference's tokenizer (docs/eval.md §5)
  --merge-method M    linear (default) | ties: only the largest --merge-density (default 0.2)
                      of each tensor's task vector π_θ − π_ref moves, as the reference code's TIES`;

/**
 * `--reference-merge`, `--merge-method` and `--merge-density` checked together: the policy's α in
 * the merged reference (null: the reference itself) and how to merge. `other` names an option the
 * merge does not apply to (--precomputed, --engine llama.cpp), or is null.
 */
export function parseReferenceMerge(
  values: { 'reference-merge'?: string; 'merge-method'?: string; 'merge-density'?: string },
  other: string | null,
): { referenceMerge: number | null; mergeOptions: MergeOptions } {
  const referenceMerge = parseMergeAlpha(values['reference-merge']);
  const mergeOptions = parseMergeOptions(values['merge-method'], values['merge-density']);
  if (referenceMerge === null && (values['merge-method'] !== undefined || values['merge-density'] !== undefined)) throw new UsageError('--merge-method and --merge-density apply with --reference-merge only');
  if (referenceMerge !== null && other !== null) throw new UsageError(`--reference-merge merges two ONNX models; it does not apply to ${other}`);
  return { referenceMerge, mergeOptions };
}

/** `--reference-merge ALPHA`: a number from 0 to 1. */
export function parseMergeAlpha(value: string | undefined): number | null {
  if (value === undefined) return null;
  const alpha = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(alpha) || alpha < 0 || alpha > 1) throw new UsageError(`--reference-merge: expected a number from 0 to 1 (the weight of the policy in the merged reference), got '${value}'`);
  return alpha;
}

/** `--merge-method linear|ties` and `--merge-density D` (ties only; default the reference code's 0.2). */
export function parseMergeOptions(method: string | undefined, density: string | undefined): MergeOptions {
  const name = method ?? 'linear';
  if (!(MERGE_METHODS as readonly string[]).includes(name)) throw new UsageError(`--merge-method: unknown value '${name}' (expected ${MERGE_METHODS.join(' | ')})`);
  if (density !== undefined && name !== 'ties') throw new UsageError('--merge-density applies to --merge-method ties only');
  if (name === 'linear') return { method: 'linear' };
  const value = density === undefined ? DEFAULT_TIES_DENSITY : density.trim() === '' ? NaN : Number(density);
  if (!(value > 0 && value <= 1)) throw new UsageError(`--merge-density: expected a number above 0 and at most 1 (the fraction of each tensor's task vector kept), got '${density}'`);
  return { method: 'ties', density: value };
}

/** A model file where the host has it; a hub model's is fetched when it is not in the cache yet. */
async function readModelFile(model: ModelSpec, path: string): Promise<Uint8Array | null> {
  const local = await nodeModelFiles.readModelFile(model.location, path);
  if (local || !model.remote) return local;
  const response = await env.fetch(hubFileUrl(model.location.hub ?? HUGGING_FACE_HUB, model.location.modelId, path));
  return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
}

/** Merges the two models' `dtype` files and writes the merged reference's folder. */
export async function prepareMergedReference(
  policy: ModelSpec & { spec: string },
  reference: ModelSpec & { spec: string },
  dtype: string,
  alpha: number,
  options: MergeOptions = { method: 'linear' },
): Promise<MergedReference> {
  const models = { policy, reference };
  const merged = await mergedReferenceFolder((side, path) => readModelFile(models[side], path), { policy: policy.label, reference: reference.label }, dtype, alpha, options);
  const root = await mkdtemp(join(tmpdir(), 'progress-advantage-merge-'));
  const folder = join(root, 'merged-reference');
  try {
    for (const [path, bytes] of merged.files) {
      await mkdir(dirname(join(folder, path)), { recursive: true });
      await writeFile(join(folder, path), bytes);
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  const provenance: ReferenceMergeProvenance = { method: options.method, alpha, ...(options.method === 'ties' ? { density: options.density ?? DEFAULT_TIES_DENSITY } : {}), reference: reference.spec, policy: policy.spec };
  return {
    model: { location: folderLocation(folder), label: `merged reference (α = ${alpha}, folder ${folder})`, remote: false },
    provenance,
    label: mergedReferenceLabel(reference.spec, policy.spec, alpha, options.method, provenance.density),
    summary: merged.summary,
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** The engine factory with the reference side loaded from the merged folder (the tokenizer is loaded from the reference itself). */
export function withMergedReference(factory: EngineFactory, merged: MergedReference | null): EngineFactory {
  if (!merged) return factory;
  return (request) => factory(request.side === 'reference' ? { ...request, model: merged.model } : request);
}
