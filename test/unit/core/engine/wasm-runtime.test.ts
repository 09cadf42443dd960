/**
 * The browser's CPU path, run in Node: the engine on an onnxruntime-web (WASM) session of the
 * fused graph — reduction, new cache rows and the LM head cut to the scored rows in the graph, the cache appended to in JavaScript
 * and fed back as views — over many chunks, against float64 figures from the full logits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrtSession, OrtSessionFactory, OrtTensorConstructor } from '../../../../src/core/engine/ort-types';
import { fuseReductionIntoModel, headCutOf } from '../../../../src/core/engine/reduction';
import { graphNodes, initializerNames } from '../../../../src/core/engine/graph-edit';
import { engineFromParts, type TransformersEngine } from '../../../../src/core/engine/transformers';
import type { TokenRange } from '../../../../src/core/engine/types';
import { fullLogits, independentFigures, maxAbsDifference, randomTokenIds, writeModelFolders, type ModelRoot, type TestModel } from './helpers';

const model: TestModel = { id: 'wasm-gpt2', config: { vocabSize: 150, contextLength: 256, embeddingDim: 32, layerCount: 2, headCount: 4 }, seed: 8 };
const tokenIds = randomTokenIds(140, model.config.vocabSize, 6);
const ranges: TokenRange[] = [
  { start: 5, end: 30 },
  { start: 70, end: 71 },
  { start: 100, end: 140 },
];

let modelRoot: ModelRoot;
let engine: TransformersEngine;

beforeAll(async () => {
  ortWeb.env.wasm.numThreads = 1;
  modelRoot = await writeModelFolders([model]);
  const bytes = new Uint8Array(readFileSync(join(modelRoot.root, model.id, 'onnx/model.onnx')));
  const headDim = model.config.embeddingDim / model.config.headCount;
  const cacheLinks = Array.from({ length: model.config.layerCount }, (_, layer) =>
    ['key', 'value'].map((kind) => ({ past: `past_key_values.${layer}.${kind}`, present: `present.${layer}.${kind}`, sequenceAxis: 2, type: 'float32', rank: 4 })),
  ).flat();
  // The LM head cut to the scored rows, as the engine fuses it.
  const headCut = headCutOf(graphNodes(bytes), initializerNames(bytes));
  expect(headCut).not.toBeNull();
  const session = (await ortWeb.InferenceSession.create(fuseReductionIntoModel(bytes, { vocabSize: model.config.vocabSize, cacheLinks, headCut }))) as unknown as OrtSession;
  expect(session.inputMetadata.find((input) => input.name === 'past_key_values.0.key')?.shape).toEqual(['batch_size', model.config.headCount, 'past_sequence_length', headDim]);
  engine = engineFromParts({
    modelId: model.id,
    description: 'onnxruntime-web/wasm/fp32 (in Node)',
    session,
    runtime: { sessionFactory: ortWeb.InferenceSession as unknown as OrtSessionFactory, Tensor: ortWeb.Tensor as unknown as OrtTensorConstructor, name: 'onnxruntime-web', webgpuEnv: null },
    reducer: {
      reduce: () => Promise.reject(new Error('the fused graph reduces in place')),
      release: async () => undefined,
    },
    vocabSize: model.config.vocabSize,
    logitsType: 'float32',
    maxContext: model.config.contextLength,
    positionOffset: 0,
    gpuDevice: null,
    chunkSize: 512,
    maxLogitsBytesPerChunk: null,
    fusedReduction: true,
    headCut: true,
    release: () => session.release(),
  });
});

afterAll(async () => {
  await engine?.dispose();
  await modelRoot?.remove();
});

describe('engine on onnxruntime-web (WASM)', () => {
  it('appends each chunk’s new cache rows and gives the float64 figures within 1e-4 for any chunk size', async () => {
    expect(engine.kvCacheMode).toBe('append-only');
    expect(engine.reductionPlacement).toBe('model-graph');
    expect(engine.logitRows).toBe('scored-only');
    const rows = await fullLogits(join(modelRoot.root, model.id, 'onnx/model.onnx'), tokenIds, model.config);
    const expected = independentFigures(rows, tokenIds);
    const headDim = model.config.embeddingDim / model.config.headCount;
    for (const chunkSize of [1, 9, 64, 512]) {
      engine.resetStats();
      const figures = await engine.score(tokenIds, ranges, { chunkSize });
      let maxError = 0;
      ranges.forEach((range, index) => {
        for (const key of ['logprob', 'entropy', 'topkMean'] as const) {
          maxError = Math.max(maxError, maxAbsDifference(figures[index][key], expected[key].slice(range.start - 1, range.end - 1)));
        }
      });
      expect(maxError, `chunk ${chunkSize}`).toBeLessThan(1e-4);
      // Only new rows cross, and only for chunks whose cache is carried (not the last one).
      const forwarded = engine.stats.tokensForwarded;
      const lastChunk = forwarded - Math.floor((forwarded - 1) / chunkSize) * chunkSize;
      expect(engine.stats.kvBytesReadBack).toBe((forwarded - lastChunk) * model.config.layerCount * 2 * model.config.headCount * headDim * 4);
    }
  });
});
