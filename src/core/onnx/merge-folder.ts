/**
 * The merged reference as a model folder, for any host: the two models' ONNX files of one dtype
 * and their external data files read through the host's reader, merged (merge.ts), and laid out
 * as transformers.js loads a model: the reference's config.json (and generation_config.json),
 * `onnx/model{suffix}.onnx`, its external data beside it. The CLI writes it to a temporary
 * folder (src/cli/commands/score-merge.ts); the scoring worker registers it as a dropped folder.
 * The tokenizer is not part of it: the scoring path loads the reference's own.
 */
import { onnxFileOf } from '../engine/model-location';
import { DEFAULT_TIES_DENSITY, OnnxMergeError, externalDataLocations, mergeOnnxWeights, type MergeOptions, type MergeSource } from './merge';
export { mergedReferenceLabel } from './merge-label';

export type MergeSide = 'policy' | 'reference';

/** Reads a file of one side's model folder (`onnx/model.onnx`, `config.json`); null when it is not there. */
export type MergeFileReader = (side: MergeSide, path: string) => Promise<Uint8Array | null>;

export interface MergedReferenceFolder {
  /** Path in the folder → bytes. */
  files: Map<string, Uint8Array>;
  /** What was merged, in a sentence (the CLI's notice, the model panel's status). */
  summary: string;
}

function folderOf(path: string): string {
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
}

async function sourceOf(read: MergeFileReader, side: MergeSide, where: string, onnxFile: string): Promise<MergeSource> {
  const label = `${side} ${onnxFile} (${where})`;
  const model = await read(side, onnxFile);
  if (!model) throw new OnnxMergeError(`cannot merge: the ${side} has no ${onnxFile} (${where}); the merge needs both models as ONNX files of the same dtype`);
  const externalData = new Map<string, Uint8Array>();
  for (const location of externalDataLocations(model)) {
    // External data sits beside the model, named by the model itself.
    if (location.includes('/') || location.includes('\\') || location.startsWith('.')) throw new OnnxMergeError(`${label}: names external data outside its folder (${location})`);
    const path = `${folderOf(onnxFile)}/${location}`;
    const data = await read(side, path);
    if (!data) throw new OnnxMergeError(`${label}: its external data file ${path} was not found`);
    externalData.set(location, data);
  }
  return { label, model, externalData };
}

/**
 * The merged reference's folder: π_ref + α·(π_θ − π_ref) of the `dtype` files. `where` names each
 * side's model in messages (`folder /models/policy`).
 */
export async function mergedReferenceFolder(read: MergeFileReader, where: Record<MergeSide, string>, dtype: string, alpha: number, options: MergeOptions = { method: 'linear' }): Promise<MergedReferenceFolder> {
  const onnxFile = onnxFileOf(dtype);
  if (onnxFile === null) throw new OnnxMergeError(`cannot merge: no ONNX file name for dtype ${dtype}`);
  const merged = mergeOnnxWeights(await sourceOf(read, 'reference', where.reference, onnxFile), await sourceOf(read, 'policy', where.policy, onnxFile), alpha, options);
  const config = await read('reference', 'config.json');
  if (!config) throw new OnnxMergeError(`cannot merge: the reference has no config.json (${where.reference})`);
  const files = new Map<string, Uint8Array>([['config.json', config]]);
  const generation = await read('reference', 'generation_config.json');
  if (generation) files.set('generation_config.json', generation);
  files.set(onnxFile, merged.model);
  for (const [location, data] of merged.externalData) files.set(`${folderOf(onnxFile)}/${location}`, data);
  const rounding = merged.floatTypes.some((type) => type === 'float16' || type === 'bfloat16') ? '; float16 / bfloat16 weights computed in float32 and rounded back' : '';
  const external = merged.externalData.size > 0 ? `, external data in ${[...merged.externalData.keys()].join(', ')}` : '';
  return {
    files,
    summary: `reference merged with the policy in weight space (${options.method === 'ties' ? `TIES, density ${options.density ?? DEFAULT_TIES_DENSITY}` : 'linear'}), α = ${alpha} (${onnxFile}): ${merged.mergedTensors} float initializers (${merged.floatTypes.join(', ')}; ${merged.mergedElements} weights) interpolated, ${merged.copiedTensors} other initializers copied${external}${rounding}`,
  };
}
