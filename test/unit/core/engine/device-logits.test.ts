/**
 * The WebGPU path (logits kept in a pre-allocated GPU buffer and reduced there) cannot run in
 * Node: onnxruntime-node hands out no GPU buffers. This test drives that path with a stand-in
 * "GPU": buffers are host arrays, the model session is a real onnxruntime-node session whose
 * logits the stand-in copies into the pre-allocated buffer, and the reducer is the real one fed
 * from that buffer. It checks the plumbing — fetches, buffer reuse and release, chunk limits from
 * the device — and that the figures that come out are still right.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuDeviceLike, OrtSession, OrtSessionFactory, OrtTensor, OrtTensorConstructor } from '../../../../src/core/engine/ort-types';
import { LogitReducer } from '../../../../src/core/engine/reduction';
import { engineFromParts, type TransformersEngine } from '../../../../src/core/engine/transformers';
import type { TokenRange } from '../../../../src/core/engine/types';
import { fullLogits, independentFigures, maxAbsDifference, randomTokenIds, writeModelFolders, type IndependentFigures, type ModelRoot, type TestModel } from './helpers';

const model: TestModel = { id: 'gpu-stand-in', config: { vocabSize: 200, contextLength: 256, embeddingDim: 32, layerCount: 2, headCount: 4 }, seed: 3 };
const tokenIds = randomTokenIds(150, model.config.vocabSize, 1);
const ranges: TokenRange[] = [
  { start: 3, end: 40 },
  { start: 90, end: 150 },
];

class StandInBuffer {
  destroyed = false;
  readonly data: Float32Array;
  constructor(readonly size: number) {
    this.data = new Float32Array(size / 4);
  }
  destroy(): void {
    this.destroyed = true;
  }
}

interface StandInGpuTensor extends OrtTensor {
  readonly gpuBuffer: StandInBuffer;
}

const OrtCpuTensor = ort.Tensor as unknown as OrtTensorConstructor;

/** onnxruntime-node's CPU Tensor plus a `fromGpuBuffer` that wraps a stand-in buffer. */
class StandInTensor extends OrtCpuTensor {
  static override fromGpuBuffer(buffer: StandInBuffer, options: { dataType: string; dims: readonly number[] }): StandInGpuTensor {
    return {
      type: options.dataType,
      dims: options.dims,
      location: 'gpu-buffer',
      gpuBuffer: buffer,
      get data(): never {
        throw new Error('the data of a GPU tensor cannot be read directly');
      },
      dispose() {},
    };
  }
}

function standInDevice(maxStorageBufferBindingSize: number) {
  const buffers: StandInBuffer[] = [];
  const device: GpuDeviceLike = {
    limits: { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize },
    createBuffer: ({ size }) => {
      const buffer = new StandInBuffer(size);
      buffers.push(buffer);
      return buffer;
    },
  };
  return { device, buffers };
}

/** A real model session that writes its logits into the pre-allocated buffer of the `logits` fetch. */
function standInModelSession(session: ort.InferenceSession, fetchLog: unknown[]): OrtSession {
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: session.inputMetadata,
    outputMetadata: session.outputMetadata,
    release: () => session.release(),
    async run(feeds, fetches) {
      fetchLog.push(fetches);
      if (!fetches || Array.isArray(fetches)) throw new Error('the device path must pass pre-allocated fetches');
      const preAllocated = (fetches as Record<string, OrtTensor | null>).logits as StandInGpuTensor;
      const outputs = await session.run(feeds as Record<string, ort.Tensor>);
      const logits = outputs.logits;
      expect(logits.dims).toEqual(preAllocated.dims);
      preAllocated.gpuBuffer.data.set(logits.data as Float32Array);
      logits.dispose();
      return { ...outputs, logits: preAllocated };
    },
  };
}

let modelRoot: ModelRoot;
let expected: IndependentFigures;
let reducer: LogitReducer;

beforeAll(async () => {
  modelRoot = await writeModelFolders([model]);
  expected = independentFigures(await fullLogits(join(modelRoot.root, model.id, 'onnx/model.onnx'), tokenIds, model.config), tokenIds);
  reducer = await LogitReducer.create(ort.InferenceSession as unknown as OrtSessionFactory, ort.Tensor as unknown as OrtTensorConstructor, {
    vocabSize: model.config.vocabSize,
    executionProviders: ['cpu'],
  });
});

afterAll(async () => {
  await reducer?.release();
  await modelRoot?.remove();
});

async function standInEngine(maxStorageBufferBindingSize: number) {
  const session = await ort.InferenceSession.create(join(modelRoot.root, model.id, 'onnx/model.onnx'));
  const fetchLog: unknown[] = [];
  const { device, buffers } = standInDevice(maxStorageBufferBindingSize);
  const reducedFrom: string[] = [];
  const vocab = model.config.vocabSize;
  const engine: TransformersEngine = engineFromParts({
    modelId: model.id,
    description: 'stand-in/webgpu/fp32',
    session: standInModelSession(session, fetchLog),
    runtime: { sessionFactory: ort.InferenceSession as unknown as OrtSessionFactory, Tensor: StandInTensor, name: 'onnxruntime-web', webgpuEnv: null },
    reducer: {
      // The real reducer, fed from the "GPU" buffer the model wrote.
      async reduce(logits, targets) {
        reducedFrom.push(logits.location);
        const buffer = (logits as StandInGpuTensor).gpuBuffer;
        expect(buffer.destroyed).toBe(false);
        const cpu = new ort.Tensor('float32', buffer.data.slice(0, logits.dims[1] * vocab), logits.dims);
        return reducer.reduce(cpu as unknown as OrtTensor, targets);
      },
      release: async () => undefined,
    },
    vocabSize: vocab,
    logitsType: 'float32',
    maxContext: model.config.contextLength,
    positionOffset: 0,
    gpuDevice: device,
    chunkSize: 64,
    maxLogitsBytesPerChunk: null,
    release: () => session.release(),
  });
  return { engine, fetchLog, buffers, reducedFrom };
}

describe('logits kept on the device (stand-in GPU)', () => {
  it('pre-allocates one logits buffer per chunk length, reduces from it, and destroys the buffers', async () => {
    const { engine, fetchLog, buffers, reducedFrom } = await standInEngine(2 ** 30);
    try {
      expect(engine.logitsPlacement).toBe('device');
      const figures = await engine.score(tokenIds, ranges);
      // 149 forwarded tokens in chunks of 64: lengths 64, 64, 21 → two buffers.
      expect(fetchLog).toHaveLength(3);
      expect(buffers.map((buffer) => buffer.size)).toEqual([64 * 200 * 4, Math.ceil((21 * 200 * 4) / 16) * 16]);
      expect(buffers.every((buffer) => buffer.destroyed)).toBe(true);
      const first = fetchLog[0] as Record<string, OrtTensor | null>;
      expect(Object.keys(first).sort()).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
      expect(first['present.0.key']).toBeNull();
      expect(reducedFrom).toEqual(['gpu-buffer', 'gpu-buffer', 'gpu-buffer']);

      const error = Math.max(
        ...figures.flatMap((figure, index) => {
          const positions = Array.from({ length: figure.logprob.length }, (_, i) => ranges[index].start + i - 1);
          return [
            maxAbsDifference(figure.logprob, positions.map((p) => expected.logprob[p])),
            maxAbsDifference(figure.entropy, positions.map((p) => expected.entropy[p])),
            maxAbsDifference(figure.topkMean, positions.map((p) => expected.topkMean[p])),
          ];
        }),
      );
      expect(error).toBeLessThan(1e-4);
    } finally {
      await engine.dispose();
    }
  });

  it('sizes chunks to the device’s storage-buffer binding limit', async () => {
    const { engine, fetchLog, buffers } = await standInEngine(20 * 200 * 4 + 100);
    try {
      expect(engine.effectiveChunkSize(512)).toBe(20);
      await engine.score(tokenIds, ranges);
      expect(fetchLog).toHaveLength(Math.ceil(149 / 20));
      expect(Math.max(...buffers.map((buffer) => buffer.size))).toBeLessThanOrEqual(20 * 200 * 4);
    } finally {
      await engine.dispose();
    }
  });
});
