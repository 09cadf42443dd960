/**
 * `score --reference-merge ALPHA`: the paper's merged reference, π_ref(α) = π_ref + α·(π_θ − π_ref)
 * in weight space (src/core/onnx/merge.ts), scored in place of the reference. The two models'
 * ONNX files of the chosen dtype (and their external data files) are read where the Node host
 * keeps them (a folder, or transformers.js' cache / the hub for a hub id), merged, and written to
 * a temporary model folder with the reference's config.json; the reference engine loads that
 * folder, and the tokenizer stays the reference's own. The folder is removed when scoring ends.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { env } from '@huggingface/transformers';
import { HUGGING_FACE_HUB, hubFileUrl, onnxFileOf } from '../../core/engine/model-location';
import { OnnxMergeError, externalDataLocations, mergeOnnxWeights, type MergeSource } from '../../core/onnx';
import type { EngineFactory, ModelSpec } from '../../core/scoring';
import { folderLocation, nodeModelFiles } from '../../node/model-files';
import { UsageError } from '../usage';

/** What every record scored with a merged reference says about it. */
export interface ReferenceMergeProvenance {
  method: 'linear';
  alpha: number;
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

/** `--reference-merge ALPHA`: a number from 0 to 1. */
export function parseMergeAlpha(value: string | undefined): number | null {
  if (value === undefined) return null;
  const alpha = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(alpha) || alpha < 0 || alpha > 1) throw new UsageError(`--reference-merge: expected a number from 0 to 1 (the weight of the policy in the merged reference), got '${value}'`);
  return alpha;
}

/** How the records name a merged reference. */
export function mergedReferenceLabel(provenance: ReferenceMergeProvenance): string {
  return `${provenance.reference} merged with ${provenance.policy} (α = ${provenance.alpha}: π_ref + α·(π_θ − π_ref), linear, in weight space)`;
}

/** A model file where the host has it; a hub model's is fetched when it is not in the cache yet. */
async function readModelFile(model: ModelSpec, path: string): Promise<Uint8Array | null> {
  const local = await nodeModelFiles.readModelFile(model.location, path);
  if (local || !model.remote) return local;
  const response = await env.fetch(hubFileUrl(model.location.hub ?? HUGGING_FACE_HUB, model.location.modelId, path));
  return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
}

async function mergeSource(side: 'policy' | 'reference', model: ModelSpec, onnxFile: string): Promise<MergeSource> {
  const label = `${side} ${onnxFile} (${model.label})`;
  const bytes = await readModelFile(model, onnxFile);
  if (!bytes) throw new OnnxMergeError(`cannot merge: the ${side} has no ${onnxFile} (${model.label}); the merge needs both models as ONNX files of the same dtype`);
  const externalData = new Map<string, Uint8Array>();
  for (const location of externalDataLocations(bytes)) {
    // External data files sit beside the model (onnx/), named by the model itself.
    if (location.includes('/') || location.includes('\\') || location === '..') throw new OnnxMergeError(`${label}: names external data outside its folder (${location})`);
    const data = await readModelFile(model, join(dirname(onnxFile), location));
    if (!data) throw new OnnxMergeError(`${label}: its external data file ${dirname(onnxFile)}/${location} was not found`);
    externalData.set(location, data);
  }
  return { label, model: bytes, externalData };
}

/** Merges the two models' `dtype` files and writes the merged reference's folder. */
export async function prepareMergedReference(policy: ModelSpec & { spec: string }, reference: ModelSpec & { spec: string }, dtype: string, alpha: number): Promise<MergedReference> {
  const onnxFile = onnxFileOf(dtype);
  if (onnxFile === null) throw new OnnxMergeError(`cannot merge: no ONNX file name for dtype ${dtype}`);
  const merged = mergeOnnxWeights(await mergeSource('reference', reference, onnxFile), await mergeSource('policy', policy, onnxFile), alpha);
  const config = await readModelFile(reference, 'config.json');
  if (!config) throw new OnnxMergeError(`cannot merge: the reference has no config.json (${reference.label})`);

  const root = await mkdtemp(join(tmpdir(), 'progress-advantage-merge-'));
  const folder = join(root, 'merged-reference');
  try {
    await mkdir(join(folder, dirname(onnxFile)), { recursive: true });
    await writeFile(join(folder, 'config.json'), config);
    const generation = await readModelFile(reference, 'generation_config.json');
    if (generation) await writeFile(join(folder, 'generation_config.json'), generation);
    await writeFile(join(folder, onnxFile), merged.model);
    for (const [location, data] of merged.externalData) await writeFile(join(folder, dirname(onnxFile), location), data);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  const provenance: ReferenceMergeProvenance = { method: 'linear', alpha, reference: reference.spec, policy: policy.spec };
  const label = mergedReferenceLabel(provenance);
  const types = merged.floatTypes.join(', ');
  const rounding = merged.floatTypes.some((type) => type === 'float16' || type === 'bfloat16') ? '; float16 / bfloat16 weights computed in float32 and rounded back' : '';
  return {
    model: { location: folderLocation(folder), label: `merged reference (α = ${alpha}, folder ${folder})`, remote: false },
    provenance,
    label,
    summary: `reference merged with the policy in weight space, α = ${alpha} (${onnxFile}): ${merged.mergedTensors} ${types} initializers (${merged.mergedElements} weights) interpolated, ${merged.copiedTensors} other initializers copied${merged.externalData.size > 0 ? `, external data in ${[...merged.externalData.keys()].join(', ')}` : ''}${rounding}`,
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** The engine factory with the reference side loaded from the merged folder (the tokenizer is loaded from the reference itself). */
export function withMergedReference(factory: EngineFactory, merged: MergedReference | null): EngineFactory {
  if (!merged) return factory;
  return (request) => factory(request.side === 'reference' ? { ...request, model: merged.model } : request);
}
