/**
 * The server engine against servers that speak vLLM's and SGLang's wire formats (tools/fake-vllm.ts,
 * tools/fake-sglang.ts) and answer with the product's own ONNX engine: the figures that come back
 * through HTTP equal the local engine's within 1e-5 on the demo pair and on the realformat Qwen3
 * pair (a real tokenizer and vocabulary of 151,936), for several ranges of one sequence; the top-20
 * mean, from the servers' top-20 lists, equals the local engine's; entropy is declared missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { createServerEngine, type ServerEngine } from '../../../../../src/core/engine/server';
import { createTransformersEngine, type TransformersEngine } from '../../../../../src/core/engine/transformers';
import type { TokenRange } from '../../../../../src/core/engine/types';
import { nodeModelFiles } from '../../../../../src/node/model-files';
import { engineOracle } from '../../../../../tools/logprob-oracle';
import { startFakeVllm } from '../../../../../tools/fake-vllm';
import { startFakeSglang } from '../../../../../tools/fake-sglang';
import type { FakeServer } from '../../../../../tools/fake-inference-server';
import { REALFORMAT_ROOT, expectedLines, realformatAvailable } from '../../../../../tools/realformat';
import { maxAbsDifference, randomTokenIds } from '../helpers';

const DEMO_ROOT = resolve(__dirname, '../../../../../public/models');
const client = { fetch, concurrency: 2, timeoutMs: 60_000, retry: { retries: 2, baseDelayMs: 10, maxDelayMs: 50 } };

interface Setup {
  local: TransformersEngine;
  servers: FakeServer[];
  engines: { vllm: ServerEngine; sglang: ServerEngine };
  dispose(): Promise<void>;
}

async function setUp(root: string, model: string, maxModelLen: number): Promise<Setup> {
  const oracle = await engineOracle(root, model);
  const served = { oracle, maxModelLen };
  const vllm = await startFakeVllm({ models: { [model]: served } });
  const sglang = await startFakeSglang({ modelPath: model, model: served });
  const local = await createTransformersEngine({ modelId: model, localModelPath: root, files: nodeModelFiles, dtype: 'fp32', device: 'cpu' });
  const engines = {
    vllm: await createServerEngine({ kind: 'vllm', urls: [vllm.url], topLogprobs: 20 }, client),
    sglang: await createServerEngine({ kind: 'sglang', urls: [sglang.url], model, topLogprobs: 20 }, client),
  };
  return {
    local,
    servers: [vllm, sglang],
    engines,
    async dispose() {
      await Promise.all([vllm.close(), sglang.close(), local.dispose(), oracle.dispose()]);
    },
  };
}

async function expectSameFigures(setup: Setup, tokenIds: readonly number[], ranges: TokenRange[]) {
  const local = await setup.local.score(tokenIds, ranges);
  for (const kind of ['vllm', 'sglang'] as const) {
    const remote = await setup.engines[kind].score(tokenIds, ranges);
    expect(remote).toHaveLength(ranges.length);
    ranges.forEach((range, index) => {
      expect(remote[index].logprob).toHaveLength(range.end - range.start);
      expect(maxAbsDifference(remote[index].logprob, local[index].logprob), `${kind} logprob, range ${index}`).toBeLessThan(1e-5);
      expect(maxAbsDifference(remote[index].topkMean, local[index].topkMean), `${kind} top-20 mean, range ${index}`).toBeLessThan(1e-5);
      expect(remote[index].entropy.every(Number.isNaN)).toBe(true);
    });
  }
}

describe('server engine on the demo pair', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp(DEMO_ROOT, 'demo-policy', 128);
  }, 60_000);
  afterAll(() => setup?.dispose());

  it('reads the served model and its context from each server', () => {
    expect(setup.engines.vllm.modelId).toBe('demo-policy');
    expect(setup.engines.vllm.serverContext).toBe(128);
    // vLLM: prompt + 1 generated token ≤ 128; the prompt is one token longer than contextNeeded.
    expect(setup.engines.vllm.maxContext).toBe(126);
    // SGLang: prompt + 1 < 128 and prompt < max_req_input_len = 127 − 5 (its scheduler, a roomy KV pool).
    expect(setup.engines.sglang.maxContext).toBe(120);
    expect(setup.engines.vllm.computedFigures).toEqual({ entropy: false, topkMean: true });
    expect(setup.engines.vllm.description).toBe(`vllm/demo-policy@${setup.servers[0].url}`);
  });

  it('equals the local engine within 1e-5 for several ranges of a sequence', async () => {
    const tokenIds = randomTokenIds(100, 64, 7);
    await expectSameFigures(setup, tokenIds, [
      { start: 1, end: 10 },
      { start: 30, end: 31 },
      { start: 40, end: 40 },
      { start: 60, end: 90 },
    ]);
    // Nothing after the last scored token is sent.
    expect(setup.servers[0].answeredPrompts.at(-1)).toHaveLength(90);
  });

  it('throws a ContextLimitError past the served context, without a request', async () => {
    const before = setup.servers[0].counts.received;
    await expect(setup.engines.vllm.score(randomTokenIds(128, 64, 3), [{ start: 1, end: 128 }])).rejects.toThrow(/127 tokens but the model.s context is 126/);
    expect(setup.servers[0].counts.received).toBe(before);
  });
});

describe.skipIf(!realformatAvailable)('server engine on the realformat Qwen3 pair', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp(REALFORMAT_ROOT, 'qwen3-policy', 40960);
  }, 120_000);
  afterAll(() => setup?.dispose());

  it('equals the local engine within 1e-5 on a real trajectory\'s tokens', async () => {
    const line = expectedLines('qwen3').find((entry) => entry.render === 'plain' && entry.tokenIds.length < 1500)!;
    const tokenIds = line.tokenIds.slice(0, 600);
    await expectSameFigures(setup, tokenIds, [
      { start: 5, end: 200 },
      { start: 400, end: 600 },
    ]);
  }, 120_000);
});
