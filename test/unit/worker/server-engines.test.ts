/**
 * The scoring worker's served pairs (src/worker/server-engines.ts, scoring-service.ts), in-process on
 * the Node host: two SGLang-format test servers answering with the product's ONNX engine on the demo
 * pair score the demo episodes with the figures of the same service on the local folders (within
 * 1e-5, token level, no entropy), the pair's status says the servers; a pair of a server and a local
 * model is refused, and an unknown served name fails the load with the server's names.
 */
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoredTrajectory } from '../../../src/core/scoring';
import { parseTrajectoryText } from '../../../src/core/trajectory/ingest';
import type { LoadPairRequest, ScoringClient, TrajectoryToScore } from '../../../src/worker/scoring-protocol';
import { startFakeSglang } from '../../../tools/fake-sglang';
import type { FakeServer } from '../../../tools/fake-inference-server';
import { engineOracle, type LogprobOracle } from '../../../tools/logprob-oracle';
import { inProcessScoringService } from '../core/scoring/in-process-service';

const MODELS = resolve(__dirname, '../../../public/models');
const EXAMPLES = resolve(__dirname, '../../../public/examples/demo-episodes.jsonl');
const QWEN3_TOKENIZER = resolve(__dirname, '../../../../shared/models/realformat/qwen3-policy');

let oracles: (LogprobOracle & { dispose(): Promise<void> })[] = [];
let servers: FakeServer[] = [];
let items: TrajectoryToScore[];

/**
 * Node's fetch, sending a request once more when the kept-alive connection it reused was closed by
 * the server meanwhile (its 5 s keep-alive ran out while a tokenizer loaded), as browsers do.
 */
async function fetchLikeABrowser(url: string, init: Parameters<typeof fetch>[1] & { signal: AbortSignal }) {
  try {
    return await fetch(url, init);
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (init.signal.aborted || (code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET')) throw error;
    return fetch(url, init);
  }
}

function service(): ScoringClient {
  return inProcessScoringService(fetchLikeABrowser);
}

async function scoreAll(client: ScoringClient, request: LoadPairRequest): Promise<ScoredTrajectory[]> {
  await client.loadPair(request);
  const results: ScoredTrajectory[] = [];
  const errors: string[] = [];
  await client.score(await client.newJobId(), items, 'chat', { onResult: (r) => results.push(r), onError: (key, message) => errors.push(`${key}: ${message}`) });
  await client.unload();
  expect(errors).toEqual([]);
  return results.sort((a, b) => Number(a.key) - Number(b.key));
}

beforeAll(async () => {
  const text = readFileSync(EXAMPLES, 'utf8').split('\n').slice(0, 4).join('\n') + '\n';
  items = parseTrajectoryText('demo.jsonl', text).trajectories.map((trajectory, index) => ({ key: String(index), trajectory }));
  oracles = [await engineOracle(MODELS, 'demo-policy'), await engineOracle(MODELS, 'demo-reference')];
  servers = [
    await startFakeSglang({ modelPath: 'demo-policy', model: { oracle: oracles[0], maxModelLen: 128 } }),
    await startFakeSglang({ modelPath: 'demo-reference', model: { oracle: oracles[1], maxModelLen: 128 } }),
  ];
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([...servers.map((server) => server.close()), ...oracles.map((oracle) => oracle.dispose())]);
});

const tokenizer = (name: string) => ({ kind: 'hub' as const, id: join(MODELS, name) });

describe('a pair served by SGLang in the scoring worker', () => {
  it('scores with the local engine’s figures', async () => {
    const client = service();
    const status = await client.loadPair({
      policy: { kind: 'server', engine: 'sglang', url: servers[0].url, model: 'demo-policy', tokenizer: tokenizer('demo-policy') },
      reference: { kind: 'server', engine: 'sglang', url: servers[1].url, model: 'demo-reference', tokenizer: tokenizer('demo-reference') },
      dtype: 'fp32',
      device: 'auto',
    });
    expect(status.device).toEqual({ device: 'server', reason: `Scored by servers: policy on SGLang at ${servers[0].url}, reference on SGLang at ${servers[1].url}.`, adapter: null });
    expect(status.policy).toMatchObject({ id: 'demo-policy', device: 'server', dtype: 'server', description: `sglang/demo-policy@${servers[0].url}` });
    expect(status.tokenizerMismatch).toBeNull();
    // Each tokenizer agreed with its server's /tokenize for the served name: nothing to say.
    expect(status.tokenizerNotice).toBeNull();
    const served = await scoreAll(client, {
      policy: { kind: 'server', engine: 'sglang', url: servers[0].url, model: 'demo-policy', tokenizer: tokenizer('demo-policy') },
      reference: { kind: 'server', engine: 'sglang', url: servers[1].url, model: 'demo-reference', tokenizer: tokenizer('demo-reference') },
      dtype: 'fp32',
      device: 'auto',
    });
    const local = await scoreAll(service(), { policy: tokenizer('demo-policy'), reference: tokenizer('demo-reference'), dtype: 'fp32', device: 'auto' });
    expect(served).toHaveLength(items.length);
    let largest = 0;
    let tokens = 0;
    served.forEach((result, index) => {
      expect(result.device).toBe('server');
      const expected = local[index].record.steps;
      expect(result.record.steps.map((step) => step.message)).toEqual(expected.map((step) => step.message));
      result.record.steps.forEach((step, s) => {
        expect(step.policy).toHaveLength(expected[s].policy.length);
        step.policy.forEach((value, t) => (largest = Math.max(largest, Math.abs(value - expected[s].policy[t]), Math.abs(step.reference[t] - expected[s].reference[t]))));
        tokens += step.policy.length;
      });
    });
    expect(tokens).toBeGreaterThan(50);
    expect(largest).toBeLessThan(1e-5);
  }, 180_000);

  it('refuses a tokenizer that is not the served model’s', async () => {
    await expect(
      service().loadPair({
        policy: { kind: 'server', engine: 'sglang', url: servers[0].url, model: 'demo-policy', tokenizer: { kind: 'hub', id: QWEN3_TOKENIZER } },
        reference: { kind: 'server', engine: 'sglang', url: servers[1].url, model: 'demo-reference', tokenizer: tokenizer('demo-reference') },
        dtype: 'fp32',
        device: 'auto',
      }),
    ).rejects.toThrow(new RegExp(`^the policy model: the tokenizer \\(folder ${QWEN3_TOKENIZER}.*\\) does not tokenize as the SGLang server's "demo-policy" does: `));
  }, 60_000);

  it('refuses a pair of a server and a local model, and says an unknown served name', async () => {
    const client = service();
    await expect(
      client.loadPair({ policy: { kind: 'server', engine: 'sglang', url: servers[0].url, model: 'demo-policy', tokenizer: tokenizer('demo-policy') }, reference: tokenizer('demo-reference'), dtype: 'fp32', device: 'auto' }),
    ).rejects.toThrow('a pair is scored either by two servers or by two local models, not one of each');
    await expect(
      client.loadPair({
        policy: { kind: 'server', engine: 'sglang', url: servers[0].url, model: 'no-such-model', tokenizer: tokenizer('demo-policy') },
        reference: { kind: 'server', engine: 'sglang', url: servers[1].url, model: 'demo-reference', tokenizer: tokenizer('demo-reference') },
        dtype: 'fp32',
        device: 'auto',
      }),
    ).rejects.toThrow(`the policy model: the SGLang server at ${servers[0].url} does not serve "no-such-model"; it serves "demo-policy"`);
  }, 60_000);
});
