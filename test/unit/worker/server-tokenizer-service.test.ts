/**
 * The scoring worker's served pairs with no tokenizer entered (issue 16): the servers' own /tokenize
 * and /detokenize (ServerTokenizer), in-process on the Node host. Two vLLM-format test servers
 * answering with the demo pair's own tokenizers and the product's ONNX engine score the demo
 * episodes with the same token ids and figures (within 1e-5) as the same service on the local
 * folders, in chat mode (vLLM's messages tokenize) and in plain mode. SGLang's tokenize cannot render
 * chat mode: each trajectory is refused saying what to enter, and plain mode scores. An unknown
 * served name fails the load naming it; a tokenizer entered on one side only serves both sides when
 * it tokenizes as the other side's server.
 */
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoredTrajectory } from '../../../src/core/scoring';
import type { RenderMode } from '../../../src/core/render/types';
import { parseTrajectoryText } from '../../../src/core/trajectory/ingest';
import type { JobProgress, LoadPairRequest, ScoringClient, ServerModelSource, TrajectoryToScore } from '../../../src/worker/scoring-protocol';
import { SERVED_BATCH } from '../../../src/worker/server-engines';
import { startFakeVllm } from '../../../tools/fake-vllm';
import { startFakeSglang } from '../../../tools/fake-sglang';
import type { FakeServer } from '../../../tools/fake-inference-server';
import { engineOracle, type LogprobOracle } from '../../../tools/logprob-oracle';
import { inProcessScoringService } from '../core/scoring/in-process-service';

const MODELS = resolve(__dirname, '../../../public/models');
const EXAMPLES = resolve(__dirname, '../../../public/examples/demo-episodes.jsonl');

let oracles: (LogprobOracle & { dispose(): Promise<void> })[] = [];
let vllm: FakeServer;
let sglang: FakeServer[] = [];
let items: TrajectoryToScore[];

function service(): ScoringClient {
  return inProcessScoringService((url, init) => fetch(url, init));
}

async function scoreAll(request: LoadPairRequest, render: RenderMode): Promise<{ results: ScoredTrajectory[]; errors: string[]; progress: JobProgress[] }> {
  const client = service();
  await client.loadPair(request);
  const results: ScoredTrajectory[] = [];
  const errors: string[] = [];
  const progress: JobProgress[] = [];
  await client.score(await client.newJobId(), items, render, {
    onResult: (r) => results.push(r),
    onError: (key, message) => errors.push(`${key}: ${message}`),
    onProgress: (p) => progress.push(p),
  });
  await client.unload();
  return { results: results.sort((a, b) => Number(a.key) - Number(b.key)), errors, progress };
}

const folder = (name: string) => ({ kind: 'hub' as const, id: join(MODELS, name) });
const local: LoadPairRequest = { policy: folder('demo-policy'), reference: folder('demo-reference'), dtype: 'fp32', device: 'auto' };
const served = (engine: 'vllm' | 'sglang', urls: [string, string], tokenizers: [ServerModelSource['tokenizer'], ServerModelSource['tokenizer']] = [null, null]): LoadPairRequest => ({
  policy: { kind: 'server', engine, url: urls[0], model: 'demo-policy', tokenizer: tokenizers[0] },
  reference: { kind: 'server', engine, url: urls[1], model: 'demo-reference', tokenizer: tokenizers[1] },
  dtype: 'fp32',
  device: 'auto',
});

function expectSameFigures(viaServer: ScoredTrajectory[], viaFolders: ScoredTrajectory[]) {
  expect(viaServer).toHaveLength(items.length);
  let largest = 0;
  let tokens = 0;
  viaServer.forEach((result, index) => {
    const expected = viaFolders[index].record.steps;
    expect(result.record.steps.map((step) => step.message)).toEqual(expected.map((step) => step.message));
    result.record.steps.forEach((step, s) => {
      expect(step.tokenIds).toHaveLength(step.policy.length);
      expect(step.tokenIds).toEqual(expected[s].tokenIds);
      expect(step.tokens).toEqual(expected[s].tokens);
      step.policy.forEach((value, t) => (largest = Math.max(largest, Math.abs(value - expected[s].policy[t]), Math.abs(step.reference[t] - expected[s].reference[t]))));
      tokens += step.policy.length;
    });
  });
  expect(tokens).toBeGreaterThan(50);
  expect(largest).toBeLessThan(1e-5);
}

beforeAll(async () => {
  const text = readFileSync(EXAMPLES, 'utf8').split('\n').slice(0, 6).join('\n') + '\n';
  items = parseTrajectoryText('demo.jsonl', text).trajectories.map((trajectory, index) => ({ key: String(index), trajectory }));
  oracles = [await engineOracle(MODELS, 'demo-policy'), await engineOracle(MODELS, 'demo-reference')];
  vllm = await startFakeVllm({ models: { 'demo-policy': { oracle: oracles[0], maxModelLen: 128 }, 'demo-reference': { oracle: oracles[1], maxModelLen: 128 } } });
  sglang = [
    await startFakeSglang({ modelPath: 'demo-policy', model: { oracle: oracles[0], maxModelLen: 128 } }),
    await startFakeSglang({ modelPath: 'demo-reference', model: { oracle: oracles[1], maxModelLen: 128 } }),
  ];
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([vllm?.close(), ...sglang.map((server) => server.close()), ...oracles.map((oracle) => oracle.dispose())]);
});

describe('a served pair tokenized by its servers, in the scoring worker', () => {
  for (const render of ['chat', 'plain'] as const) {
    it(`vLLM, ${render}: the token ids and figures of the local folders`, async () => {
      const status = await service().loadPair(served('vllm', [vllm.url, vllm.url]));
      expect(status.tokenizerMismatch).toBeNull();
      expect(status.tokenizerNotice).toBeNull();
      const before = vllm.requests.length;
      const viaServer = await scoreAll(served('vllm', [vllm.url, vllm.url]), render);
      const paths = vllm.requests.slice(before).map((request) => request.path);
      expect(viaServer.errors).toEqual([]);
      const viaFolders = await scoreAll(local, render);
      expect(viaFolders.errors).toEqual([]);
      expectSameFigures(viaServer.results, viaFolders.results);
      // Fetched and scored a batch at a time: progress counts the whole job, and ends where the local job ends.
      expect(items.length).toBeGreaterThan(SERVED_BATCH);
      expect(paths.indexOf('/v1/completions')).toBeLessThan(paths.lastIndexOf('/tokenize'));
      expect(viaServer.progress.every((p) => p.trajectoriesTotal === items.length)).toBe(true);
      const [last, localLast] = [viaServer.progress.at(-1)!, viaFolders.progress.at(-1)!];
      expect([last.trajectoriesDone, last.tokensDone, last.tokensTotal]).toEqual([localLast.trajectoriesDone, localLast.tokensDone, localLast.tokensTotal]);
      viaServer.progress.slice(1).forEach((p, index) => expect(p.tokensDone).toBeGreaterThanOrEqual(viaServer.progress[index].tokensDone));
    }, 180_000);
  }

  it('SGLang: chat refused for each trajectory saying what to enter; plain scores as the folders', async () => {
    const urls: [string, string] = [sglang[0].url, sglang[1].url];
    const chat = await scoreAll(served('sglang', urls), 'chat');
    expect(chat.results).toEqual([]);
    expect(chat.errors).toEqual(items.map((item) => `${item.key}: SGLang's tokenize endpoint does not apply chat templates, and no tokenizer was named: name the model's own tokenizer (a folder or hub id) to render in chat mode, or render plain`));
    const plain = await scoreAll(served('sglang', urls), 'plain');
    expect(plain.errors).toEqual([]);
    expectSameFigures(plain.results, (await scoreAll(local, 'plain')).results);
  }, 180_000);

  it('an unknown served name fails the load naming it; a tokenizer entered on one side only serves both when it tokenizes as the other server', async () => {
    const unknown = served('vllm', [vllm.url, vllm.url]);
    await expect(service().loadPair({ ...unknown, policy: { ...(unknown.policy as ServerModelSource), model: 'nobody' } })).rejects.toThrow(
      `the policy model's tokenizer: the vLLM server at ${vllm.url} does not tokenize for the model "nobody": The model \`nobody\` does not exist.`,
    );
    // The policy's tokenizer tokenizes as the reference server does: it serves both sides, token level.
    const status = await service().loadPair(served('vllm', [vllm.url, vllm.url], [folder('demo-policy'), null]));
    expect(status.tokenizerMismatch).toBeNull();
    expect(status.policy.vocabularyFingerprint).toBe(status.reference.vocabularyFingerprint);
    expect(status.reference.vocabularyFingerprint).toMatch(/^fnv1a64:/);
  }, 60_000);
});
