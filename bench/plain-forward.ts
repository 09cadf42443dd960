/**
 * The plain reference the engine is timed against: an onnxruntime session on the model file as it
 * is, forwarding the tokens in runs of `chunk` positions, each run's present.* fed back as
 * past_key_values, every output fetched. Used by bench/real-shape.ts (onnxruntime-node) and the
 * browser worker bench/page/bench.worker.ts (onnxruntime-web), so it imports neither runtime and
 * no Node built-in: the caller passes its runtime's Tensor class.
 */
import type { OrtSession, OrtTensor, OrtTensorConstructor } from '../src/core/engine/ort-types';

export interface PlainForwardShape {
  vocabSize: number;
  layerCount: number;
  /** Key-value heads of the cache inputs. */
  kvHeadCount: number;
  headDim: number;
}

/** Milliseconds to forward `tokenIds` (the tensors it releases are disposed; the last cache after the clock stops). */
export async function plainForwardMs(
  Tensor: OrtTensorConstructor,
  session: Pick<OrtSession, 'run'>,
  shape: PlainForwardShape,
  tokenIds: readonly number[],
  chunk: number,
): Promise<number> {
  const int64 = (length: number, valueAt: (index: number) => number) => new Tensor('int64', BigInt64Array.from({ length }, (_, index) => BigInt(valueAt(index))), [1, length]);
  let past: Record<string, OrtTensor> = {};
  for (let layer = 0; layer < shape.layerCount; layer++) {
    for (const kind of ['key', 'value']) past[`past_key_values.${layer}.${kind}`] = new Tensor('float32', new Float32Array(0), [1, shape.kvHeadCount, 0, shape.headDim]);
  }
  const started = performance.now();
  for (let start = 0; start < tokenIds.length; start += chunk) {
    const length = Math.min(chunk, tokenIds.length - start);
    const outputs = await session.run({
      input_ids: int64(length, (index) => tokenIds[start + index]),
      attention_mask: int64(start + length, () => 1),
      position_ids: int64(length, (index) => start + index),
      ...past,
    });
    if ((outputs.logits.data as Float32Array).length !== length * shape.vocabSize) throw new Error('plain forward: unexpected logits size');
    const next: Record<string, OrtTensor> = {};
    for (const name of Object.keys(past)) next[name] = outputs[name.replace('past_key_values.', 'present.')];
    for (const tensor of Object.values(past)) tensor.dispose();
    outputs.logits.dispose();
    past = next;
  }
  const elapsed = performance.now() - started;
  for (const tensor of Object.values(past)) tensor.dispose();
  return elapsed;
}
