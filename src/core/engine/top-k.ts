/**
 * The k largest log-probs of each row, for the reduction's top-k mean. onnxruntime-web's WebGPU
 * TopK costs about 6 µs per element on Chromium's SwiftShader adapter (0.9 s per row of a 152k
 * vocabulary: it made WebGPU scoring take seconds per token), so on WebGPU the vocabulary is cut
 * into blocks first:
 *
 *   block maxima   = ReduceMax over blocks of `block` entries         [1, R, B]
 *   top blocks     = TopK(block maxima, k)                             [1, R, k]
 *   candidates     = those blocks' entries                             [1, R, k · block]
 *   values         = TopK(candidates, k)                               [1, R, k]
 *
 * Exact, ties included: a block holding one of the k largest entries e has a maximum ≥ e, and
 * only blocks holding an entry > e (at most k − 1 of them) can have a larger maximum; a block
 * left out at a tie only holds values equal to one already taken. TopK then sees about
 * V / block + k · block entries per row instead of V (3.7k instead of 152k).
 */
import { OnnxGraphBuilder, intAttr, intsAttr } from '../onnx/onnx-graph-builder';

/** Below this many entries a row goes through TopK whole. */
const BLOCKED_TOP_K_MIN_VOCABULARY = 4096;
/** Most negative float32: fills the last block (never among the k largest: V ≥ k real entries). */
const LOWEST_FLOAT32 = -3.4028234663852886e38;

/** Entries per block: about √(V / k), which makes the two TopK inputs equally long. */
export const topKBlockSize = (vocabSize: number, k: number): number => Math.max(k, Math.round(Math.sqrt(vocabSize / k)));

/**
 * The k largest values of `input` [1, R, V] along its last axis, [1, R, k] in no particular order.
 * `blocked`: through block maxima (above). `opset` picks ReduceMax's form (axes an input from 18).
 */
export function topKValues(b: OnnxGraphBuilder, input: string, options: { vocabSize: number; k: number; blocked: boolean; opset: number }): string {
  const { vocabSize, k } = options;
  const topK = (values: string, name: string) =>
    b.nodeOutputs('TopK', [values, b.int64Vector([k])], { axis: intAttr(-1), largest: intAttr(1), sorted: intAttr(0) }, { name, outputCount: 2 });
  if (!options.blocked || vocabSize < BLOCKED_TOP_K_MIN_VOCABULARY) return topK(input, 'topk')[0];

  const block = topKBlockSize(vocabSize, k);
  const blocks = Math.ceil(vocabSize / block);
  const padding = blocks * block - vocabSize;
  const padded = padding === 0 ? input : b.node('Pad', [input, b.int64Vector([0, 0, 0, 0, 0, padding]), b.floatScalar(LOWEST_FLOAT32)], {}, { name: 'topk_padded' });
  const byBlock = b.node('Reshape', [padded, b.int64Vector([1, -1, blocks, block])], {}, { name: 'topk_blocks' });
  const maxima =
    options.opset >= 18
      ? b.node('ReduceMax', [byBlock, b.int64Vector([-1])], { keepdims: intAttr(0) }, { name: 'topk_block_max' })
      : b.node('ReduceMax', [byBlock], { axes: intsAttr([-1]), keepdims: intAttr(0) }, { name: 'topk_block_max' });
  const [, topBlocks] = topK(maxima, 'topk_blocks_chosen');
  // GatherElements wants indices as long as the data on every other axis: [1, R, k, block].
  const indices = b.node('Unsqueeze', [topBlocks, b.int64Vector([-1])], {}, { name: 'topk_block_index' });
  const spread = b.node('Expand', [indices, b.int64Vector([1, 1, 1, block])], {}, { name: 'topk_block_index_spread' });
  const chosen = b.node('GatherElements', [byBlock, spread], { axis: intAttr(2) }, { name: 'topk_candidates' });
  const candidates = b.node('Reshape', [chosen, b.int64Vector([1, -1, k * block])], {}, { name: 'topk_candidates_flat' });
  return topK(candidates, 'topk')[0];
}
