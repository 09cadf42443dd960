/**
 * The model panel's merged reference in the scoring worker: when a load asks for
 * `referenceMerge: α`, both models' ONNX files of the dtype are read through the host's file reader,
 * merged in weight space (src/core/onnx/merge-folder.ts), and registered as a dropped folder; the
 * reference engine then loads that folder (the tokenizer stays the reference's own). ONNX pairs
 * only: a served pair has no weights here to merge.
 */
import { mergedReferenceFolder } from '../core/onnx';
import type { ModelSpec, PairSpec } from '../core/scoring';
import type { ModelFileReader } from '../core/engine/model-location';
import type { LoadPairRequest, ModelFilesSource } from './scoring-protocol';

/** What of the scoring service's host the merge uses (scoring-service.ts ScoringServiceHost). */
interface MergeHost {
  files: ModelFileReader;
  locate(source: ModelFilesSource): ModelSpec;
  registerFolder(name: string, files: ReadonlyMap<string, Blob>): string;
  /** Frees a registered folder (the browser keeps its files in memory); absent: kept. */
  unregisterFolder?(id: string): void;
}

/**
 * The merged references of one scoring service: each load's (or null), the previous load's folder
 * freed first — a new load has already unloaded the pair that used it (a WebGPU → WASM reload of
 * the current pair still finds its own).
 */
export function mergedReferences(host: MergeHost): { forLoad(request: LoadPairRequest, spec: PairSpec): Promise<ModelSpec | null> } {
  let registered: string | null = null;
  return {
    async forLoad(request, spec) {
      if (registered !== null) host.unregisterFolder?.(registered);
      registered = null;
      const merged = await mergedReferenceOf(request, spec, host);
      if (merged) registered = merged.folderId;
      return merged?.model ?? null;
    },
  };
}

/** The merged reference's model and its registered folder, or null when the load does not ask for one. */
async function mergedReferenceOf(request: LoadPairRequest, spec: PairSpec, host: MergeHost): Promise<{ model: ModelSpec; folderId: string } | null> {
  const alpha = request.referenceMerge;
  if (alpha === undefined || alpha === null) return null;
  if (request.policy.kind === 'server' || request.reference.kind === 'server' || !spec.policy) {
    throw new Error('a merged reference needs both models as ONNX files: a served pair cannot be merged');
  }
  const models = { policy: spec.policy, reference: spec.reference };
  const folder = await mergedReferenceFolder((side, path) => host.files.readModelFile(models[side].location, path), { policy: spec.policy.label, reference: spec.reference.label }, request.dtype, alpha);
  const blobs = new Map([...folder.files].map(([path, bytes]) => [path, new Blob([bytes as Uint8Array<ArrayBuffer>])] as const));
  const id = host.registerFolder(`merged-reference-${alpha}`, blobs);
  return { model: { ...host.locate({ kind: 'dropped', id }), label: `${spec.reference.label} merged with the policy (α = ${alpha}): ${folder.summary}` }, folderId: id };
}
