/**
 * A cut LM head is checked by one two-token run when the fused session is made: a graph whose cut
 * fails at run time (here: a runtime that refuses to run it) falls back to the fused graph that
 * gathers logits rows, and a runtime that refuses every fused graph gets the plain one back.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildGpt2Onnx, randomGpt2Weights } from '../../../../lab/model-builder';
import { withFusedReduction } from '../../../../src/core/engine/transformers';
import type { OrtSession, OrtSessionFactory, OrtTensorConstructor } from '../../../../src/core/engine/ort-types';

const config = { vocabSize: 120, contextLength: 64, embeddingDim: 16, layerCount: 1, headCount: 2 };
const modelBytes = buildGpt2Onnx(config, randomGpt2Weights(config, 9));
const marker = new TextEncoder().encode('pa_reduction/head_rows');

function contains(bytes: Uint8Array, part: Uint8Array): boolean {
  outer: for (let start = 0; start + part.length <= bytes.length; start++) {
    for (let index = 0; index < part.length; index++) if (bytes[start + index] !== part[index]) continue outer;
    return true;
  }
  return false;
}

/** onnxruntime-node, except that sessions of graphs matching `refuse` fail at run (`run`) or at creation (`create`). */
function factory(refuse: (bytes: Uint8Array) => 'run' | 'create' | null): { factory: OrtSessionFactory; created: string[] } {
  const created: string[] = [];
  return {
    created,
    factory: {
      async create(bytes, options) {
        const kind = refuse(bytes);
        created.push(contains(bytes, marker) ? 'cut' : bytes.length > modelBytes.length ? 'fused' : 'plain');
        if (kind === 'create') throw new Error('refused');
        const session = (await ort.InferenceSession.create(bytes, options as ort.InferenceSession.SessionOptions)) as unknown as OrtSession;
        if (kind !== 'run') return session;
        return Object.assign(Object.create(Object.getPrototypeOf(session) as object) as OrtSession, session, {
          inputNames: session.inputNames,
          outputNames: session.outputNames,
          inputMetadata: session.inputMetadata,
          outputMetadata: session.outputMetadata,
          run: () => Promise.reject(new Error('shape mismatch')),
          release: () => session.release(),
        });
      },
    },
  };
}

async function fuse(refuse: (bytes: Uint8Array) => 'run' | 'create' | null) {
  const original = (await ort.InferenceSession.create(modelBytes)) as unknown as OrtSession;
  const { factory: sessionFactory, created } = factory(refuse);
  const result = await withFusedReduction(original, sessionFactory, ort.Tensor as unknown as OrtTensorConstructor, modelBytes, {
    vocabSize: config.vocabSize,
    executionProviders: ['cpu'],
  });
  await result.session.release();
  return { result, created };
}

describe('the fused session', () => {
  it('keeps the cut head when its two-token run works', async () => {
    const { result, created } = await fuse(() => null);
    expect(result).toMatchObject({ fused: true, headCut: true });
    expect(created).toEqual(['cut']);
  });

  it('falls back to gathering logits rows when the cut graph fails its run', async () => {
    const { result, created } = await fuse((bytes) => (contains(bytes, marker) ? 'run' : null));
    expect(result).toMatchObject({ fused: true, headCut: false });
    expect(created).toEqual(['cut', 'fused']);
    expect(result.session.outputNames).toContain('pa_reduction_target_logprob');
  });

  it('loads the plain graph again when the runtime refuses every fused graph', async () => {
    const { result, created } = await fuse((bytes) => (bytes.length > modelBytes.length ? 'create' : null));
    expect(result).toMatchObject({ fused: false, headCut: false });
    expect(created).toEqual(['cut', 'fused', 'plain']);
    expect(result.session.outputNames).toContain('logits');
  });
});
