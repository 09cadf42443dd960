/**
 * Issue 15, item 3: the LM-head cut (logits for the scored rows only) on every common head, on the
 * real-format files: fp32 (tied: MatMul on a Transpose of the embedding table), q8
 * (DynamicQuantizeLinear / MatMulInteger / scale Mul), q4 (MatMulNBits), fp16 (this file's
 * conversion, tools/onnx-variants.ts) and a tied Gemm with transB. The cut applies, the figures of
 * a few scored ranges are those of the uncut head, and chunks are sized by the rows that run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { graphNodes, initializerNames } from '../../../../src/core/engine/graph-edit';
import { headCutSearch } from '../../../../src/core/engine/head-cut';
import { rowQuantizationPlan } from '../../../../src/core/engine/row-quantization';
import type { TokenRange } from '../../../../src/core/engine/types';
import {
  FP16_WITH_FLOAT32_LOGITS,
  REALFORMAT_ROOT,
  absoluteDifferences,
  expectedLines,
  plainSessionLogprobs,
  realformatEngine,
  writeVariantFolders,
  type VariantRoot,
} from '../../../../tools/realformat';

let variants: VariantRoot;
beforeAll(async () => {
  variants = await writeVariantFolders([{ arch: 'qwen3', side: 'policy' }]);
}, 120_000);
afterAll(() => variants?.remove());

const HEADS = [
  { head: 'fp32 tied MatMul(h, Transpose(E))', model: 'qwen3-policy', dtype: 'fp32', file: 'model.onnx', product: 'MatMul', reader: 'MatMul', variant: false },
  { head: 'q8 DynamicQuantizeLinear / MatMulInteger / Mul', model: 'qwen3-policy', dtype: 'q8', file: 'model_quantized.onnx', product: 'MatMulInteger', reader: 'DynamicQuantizeLinear', variant: false },
  { head: 'q4 MatMulNBits', model: 'qwen3-policy', dtype: 'q4', file: 'model_q4.onnx', product: 'MatMulNBits', reader: 'MatMulNBits', variant: false },
  { head: 'fp16 with Casts', model: 'qwen3-policy', dtype: 'fp16', file: 'model_fp16.onnx', product: 'MatMul', reader: 'MatMul', variant: true },
  { head: 'tied Gemm(h, E, transB=1)', model: 'qwen3-policy-gemm', dtype: 'fp32', file: 'model.onnx', product: 'Gemm', reader: 'Gemm', variant: true },
] as const;

const line = () => expectedLines('qwen3').find((entry) => entry.render === 'plain' && entry.fixture.includes('who_and_when'))!;

/** Short ranges spread over the sequence (20 tokens every 200): a tenth of the positions. */
const sparseRanges = (): TokenRange[] => Array.from({ length: 6 }, (_, index) => ({ start: 100 + 200 * index, end: 120 + 200 * index }));

describe.each(HEADS)('$head', { timeout: 300_000 }, ({ model, dtype, file, product, reader, variant }) => {
  const root = () => (variant ? variants.root : REALFORMAT_ROOT);

  it('is found: the product and the node that reads the rows', async () => {
    const bytes = new Uint8Array(await readFile(join(root(), model, 'onnx', file)));
    const nodes = graphNodes(bytes);
    const plan = rowQuantizationPlan(nodes);
    const search = headCutSearch(nodes, initializerNames(bytes), 'logits', new Set(plan.nodes.map((node) => node.quantizer.index)));
    expect(search.reason).toBeNull();
    expect(search.cut?.matMul.opType).toBe(product);
    expect(search.cut?.rowsReader.opType).toBe(reader);
    expect(search.cut?.reshape?.opType ?? null).toBe(product === 'Gemm' ? 'Reshape' : null);
    if (dtype === 'q8') {
      expect(plan.nodes).toHaveLength(9); // 2 layers × (q/k/v, o, gate/up, down) + the head
      expect(plan.refused).toEqual([]);
      // Without the per-row quantizers the q8 head is not cut: the scale would change with the rows.
      expect(headCutSearch(nodes, initializerNames(bytes)).reason).toMatch(/quantizes over all rows at once/);
    }
  });

  it('runs in the engine with scored rows only, giving the uncut figures, in chunks sized by those rows', async () => {
    const engine = await realformatEngine(model, dtype, { root: root() });
    try {
      expect(engine.logitRows).toBe('scored-only');
      expect(engine.fallbacks).toEqual([]);
      const { tokenIds } = line();
      const ranges = sparseRanges();
      const scoredRows = ranges.reduce((sum, range) => sum + range.end - range.start, 0);
      expect(scoredRows).toBeLessThan(tokenIds.length / 5);
      const figures = await engine.score(tokenIds, ranges);
      expect(engine.stats.chunks).toBe(Math.ceil((ranges.at(-1)!.end - 1) / 512)); // not ⌈1,155 / 110⌉ = 11 chunks
      // The uncut head: a plain session on the same file (q8: one token per run, the per-row figures;
      // fp16: its logits read before their rounding to float16, as in the engine's graph).
      const referenceFile = dtype === 'fp16' ? FP16_WITH_FLOAT32_LOGITS : file;
      const expected = await plainSessionLogprobs(join(root(), model, 'onnx', referenceFile), tokenIds, ranges.at(-1)!.end, dtype === 'q8' ? 1 : 256);
      ranges.forEach((range, index) => {
        const { max } = absoluteDifferences(figures[index].logprob, expected.subarray(range.start - 1, range.end - 1));
        expect(max, `range [${range.start}, ${range.end})`).toBeLessThan(1e-4);
      });
    } finally {
      await engine.dispose();
    }
  });
});
