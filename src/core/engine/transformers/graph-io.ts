/**
 * What the engine feeds a decoder graph and reads from it: a chunk's sequence inputs, the id type,
 * and the cache inputs paired with their outputs (past_key_values.* ↔ present.*).
 */
import { FUSED_REDUCTION_INPUTS, newCacheRowsName } from '../reduction';
import type { OrtSession, OrtTensor, OrtTensorConstructor, OrtValueMetadata } from '../ort-types';
import type { CacheLink } from '../kv-cache';

/**
 * A chunk's sequence inputs: input_ids (tokens start … start + length), attention_mask (ones over
 * past + chunk), position_ids and the flags the graph takes (`inputNames`).
 */
export function sequenceInputs(
  Tensor: OrtTensorConstructor,
  inputNames: ReadonlySet<string>,
  idType: 'int64' | 'int32',
  tokenIds: ArrayLike<number>,
  start: number,
  length: number,
  positionOffset: number,
): Record<string, OrtTensor> {
  const ids = (count: number, valueAt: (index: number) => number): OrtTensor => {
    if (idType === 'int32') return new Tensor('int32', Int32Array.from({ length: count }, (_, i) => valueAt(i)), [1, count]);
    return new Tensor('int64', BigInt64Array.from({ length: count }, (_, i) => BigInt(valueAt(i))), [1, count]);
  };
  const inputs: Record<string, OrtTensor> = { input_ids: ids(length, (i) => tokenIds[start + i]) };
  if (inputNames.has('attention_mask')) inputs.attention_mask = ids(start + length, () => 1);
  if (inputNames.has('position_ids')) inputs.position_ids = ids(length, (i) => start + i + positionOffset);
  // 0 = logits for every position of the chunk (transformers.js' scoring setting).
  if (inputNames.has('num_logits_to_keep')) inputs.num_logits_to_keep = new Tensor('int64', new BigInt64Array([0n]), []);
  if (inputNames.has('use_cache_branch')) inputs.use_cache_branch = new Tensor('bool', new Uint8Array([start > 0 ? 1 : 0]), [1]);
  return inputs;
}

export const idTypeOf = (session: OrtSession): 'int64' | 'int32' => (session.inputMetadata.find((input) => input.name === 'input_ids')?.type === 'int32' ? 'int32' : 'int64');

export function presentNameFor(pastName: string): string | null {
  if (pastName.startsWith('past_key_values.')) return `present.${pastName.slice('past_key_values.'.length)}`;
  if (pastName.startsWith('past_')) return `present_${pastName.slice('past_'.length)}`;
  return null;
}

/** The position axis of a cache tensor: its symbolic sequence dimension ([batch, heads, past_sequence_length, head_dim] → 2). */
export function sequenceAxisOf(metadata: OrtValueMetadata): number {
  const shape = metadata.shape ?? [];
  const named = shape.findIndex((dim) => typeof dim === 'string' && /seq|past|length/i.test(dim) && !/batch/i.test(dim));
  if (named !== -1) return named;
  const symbolic = shape.flatMap((dim, index) => (typeof dim === 'string' && !/batch/i.test(dim) ? [index] : []));
  return symbolic.length === 1 ? symbolic[0] : 2;
}

/** Checks that the engine can feed every input of the graph and pairs each cache input with its output. */
export function cacheLinksOf(session: OrtSession, modelId: string): CacheLink[] {
  if (!session.inputNames.includes('input_ids')) throw new Error(`${modelId}: the ONNX graph has no input_ids input`);
  const links: CacheLink[] = [];
  for (const input of session.inputMetadata) {
    if (SEQUENCE_INPUTS.has(input.name)) continue;
    const present = presentNameFor(input.name);
    if (present === null) throw new Error(`${modelId}: the ONNX graph has an input "${input.name}" the scoring engine cannot feed`);
    // A fused graph gives the new rows in place of the whole present tensor (reduction.ts).
    if (!session.outputNames.includes(present) && !session.outputNames.includes(newCacheRowsName(present))) {
      throw new Error(`${modelId}: cache input "${input.name}" has no "${present}" output to carry forward`);
    }
    links.push({ past: input, present, sequenceAxis: sequenceAxisOf(input) });
  }
  return links;
}

const SEQUENCE_INPUTS = new Set<string>(['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep', 'use_cache_branch', ...Object.values(FUSED_REDUCTION_INPUTS)]);

/** Heads of a [batch, heads, sequence, head_dim] cache tensor: the fixed dims between batch and the sequence axis. */
export function headsOf(link: CacheLink | undefined): number | null {
  if (!link) return null;
  const dims = (link.past.shape ?? []).slice(1, link.sequenceAxis);
  if (dims.length === 0 || dims.some((dim) => typeof dim !== 'number')) return null;
  return (dims as number[]).reduce((product, dim) => product * dim, 1);
}
