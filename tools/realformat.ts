/**
 * The real-format model pairs of ../shared/models/realformat (Qwen3, Llama 3: real vocabularies,
 * tokenizers, optimum's layout, fp32 / q8 / q4, float64 ground truth; its README says what each
 * file is), read in place, and an independent computation of their log-probs: a plain
 * onnxruntime-node session on the file as it is (no fused reduction, no head cut, no engine), its
 * present.* outputs fed back between runs, and a float64 log-softmax of its float32 logits.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { AutoTokenizer } from '@huggingface/transformers';
import { float16BitsToNumber } from '../src/core/onnx';
import { createTransformersEngine, type TransformersEngine } from '../src/core/engine/transformers';
import { withModelLocation } from '../src/core/engine/model-location';
import type { TokenizerLike } from '../src/core/engine/types';
import { fromTransformersTokenizer } from '../src/core/tokenizer';
import { nodeModelFiles } from '../src/node/model-files';
import { toFloat16Model, withFloat32Logits, withGemmHead } from './onnx-variants';

/** The pack, beside the repository (CI clones it with shared/ next to the repo, read-only). */
export const REALFORMAT_ROOT = fileURLToPath(new URL('../../shared/models/realformat', import.meta.url));
export const realformatAvailable = existsSync(join(REALFORMAT_ROOT, 'README.md'));

export type RealformatArch = 'qwen3' | 'llama3';
export type RealformatSide = 'policy' | 'reference';

/** One line of expected/<arch>.jsonl (see the pack's README). */
export interface ExpectedLine {
  fixture: string;
  index: number;
  render: 'plain' | 'chat';
  tokenIds: number[];
  messageSpans: [number, number][] | null;
  actionMessages: number[];
  /** float64 log p(tokenIds[k + 1] | tokenIds[: k + 1]) for k = 0 … T − 2. */
  policy: number[];
  reference: number[];
}

export function expectedLines(arch: RealformatArch): ExpectedLine[] {
  return readFileSync(join(REALFORMAT_ROOT, 'expected', `${arch}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ExpectedLine);
}

/** The fp16 file with its logits read before their rounding to float16 (onnx-variants.ts withFloat32Logits), beside model_fp16.onnx. */
export const FP16_WITH_FLOAT32_LOGITS = 'model_fp16_float32_logits.onnx';

const FOLDER_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

export interface VariantRoot {
  /** A model root (transformers.js' localModelPath) holding `<arch>-<side>` with model_fp16.onnx and `<arch>-<side>-gemm` with a Gemm head. */
  root: string;
  remove(): Promise<void>;
}

/**
 * Model folders the pack lacks, written under a temp root: the fp16 file (tools/onnx-variants.ts
 * toFloat16Model of the fp32 file) beside the pack's own files, and an fp32 folder whose tied head
 * is a Gemm with transB.
 */
export async function writeVariantFolders(models: readonly { arch: RealformatArch; side: RealformatSide }[]): Promise<VariantRoot> {
  const root = await mkdtemp(join(tmpdir(), 'realformat-'));
  for (const { arch, side } of models) {
    const source = join(REALFORMAT_ROOT, `${arch}-${side}`);
    const fp32 = new Uint8Array(await readFile(join(source, 'onnx', 'model.onnx')));
    const fp16 = toFloat16Model(fp32);
    for (const [folder, file, bytes] of [
      [`${arch}-${side}`, 'model_fp16.onnx', fp16],
      [`${arch}-${side}`, FP16_WITH_FLOAT32_LOGITS, withFloat32Logits(fp16)],
      [`${arch}-${side}-gemm`, 'model.onnx', withGemmHead(fp32)],
    ] as const) {
      await mkdir(join(root, folder, 'onnx'), { recursive: true });
      for (const name of FOLDER_FILES) await copyFile(join(source, name), join(root, folder, name));
      await writeFile(join(root, folder, 'onnx', file), bytes);
    }
  }
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

/**
 * log p(token p+1 | tokens ≤ p) for p = 0 … count − 2, from a plain session on `onnxPath`, run
 * `tokensPerRun` tokens at a time (1: as generation runs it — what a dynamic int8 file computes
 * per row), in float64 from the float32 (or float16) logits.
 */
export async function plainSessionLogprobs(onnxPath: string, tokenIds: readonly number[], count: number, tokensPerRun = 256): Promise<Float64Array> {
  const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'] });
  const result = new Float64Array(count - 1);
  try {
    const pastNames = session.inputNames.filter((name) => name.startsWith('past_key_values.'));
    const cacheType = session.inputMetadata.find((input) => input.name === pastNames[0]) as { type?: string } | undefined;
    const float16 = cacheType?.type === 'float16';
    const config = JSON.parse(readFileSync(join(dirname(dirname(onnxPath)), 'config.json'), 'utf8')) as Record<string, number>;
    const heads = config.num_key_value_heads;
    const headDim = config.head_dim ?? config.hidden_size / config.num_attention_heads;
    let past: Record<string, ort.Tensor> = Object.fromEntries(
      pastNames.map((name) => [name, new ort.Tensor(float16 ? 'float16' : 'float32', float16 ? new Uint16Array(0) : new Float32Array(0), [1, heads, 0, headDim])]),
    );
    const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
    for (let start = 0; start < count - 1; start += tokensPerRun) {
      const end = Math.min(count - 1, start + tokensPerRun);
      const ids = tokenIds.slice(start, end);
      const outputs = await session.run({
        input_ids: int64([...ids]),
        attention_mask: int64(Array.from({ length: end }, () => 1)),
        position_ids: int64(ids.map((_, offset) => start + offset)),
        ...past,
      });
      const logits = outputs.logits;
      const vocab = logits.dims[2];
      const data = logits.data as Float32Array | Uint16Array;
      const valueAt = logits.type === 'float16' ? (index: number) => float16BitsToNumber(data[index]) : (index: number) => data[index];
      for (let row = 0; row < end - start; row++) {
        const offset = row * vocab;
        let max = -Infinity;
        for (let v = 0; v < vocab; v++) max = Math.max(max, valueAt(offset + v));
        let sum = 0;
        for (let v = 0; v < vocab; v++) sum += Math.exp(valueAt(offset + v) - max);
        result[start + row] = valueAt(offset + tokenIds[start + row + 1]) - max - Math.log(sum);
      }
      past = Object.fromEntries(pastNames.map((name) => [name, outputs[name.replace('past_key_values.', 'present.')]]));
    }
  } finally {
    await session.release();
  }
  return result;
}

export function absoluteDifferences(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let max = 0;
  let sum = 0;
  for (let index = 0; index < a.length; index++) {
    const difference = Math.abs(a[index] - b[index]);
    if (!(difference <= max)) max = Number.isNaN(difference) ? Infinity : difference;
    sum += difference;
  }
  return { max, mean: a.length === 0 ? 0 : sum / a.length };
}

/** The product's engine (onnxruntime-node, fused reduction and head cut where they apply) on a pack model or a variant folder. */
export function realformatEngine(
  model: string,
  dtype: 'fp32' | 'fp16' | 'q8' | 'q4',
  options: { root?: string; chunkSize?: number; reduction?: 'auto' | 'separate' } = {},
): Promise<TransformersEngine> {
  return createTransformersEngine({
    modelId: model,
    localModelPath: options.root ?? REALFORMAT_ROOT,
    files: nodeModelFiles,
    dtype,
    device: 'cpu',
    ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
    ...(options.reduction !== undefined ? { reduction: options.reduction } : {}),
  });
}

/** The pack model's tokenizer as the product loads it. */
export async function realformatTokenizer(model: string): Promise<TokenizerLike> {
  const raw = await withModelLocation({ modelId: model, localModelPath: REALFORMAT_ROOT }, (id) => AutoTokenizer.from_pretrained(id));
  return fromTransformersTokenizer(raw);
}
