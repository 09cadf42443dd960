/**
 * The model panel's connection check (src/state/server-connection.ts) against vLLM-format test
 * servers, through the page's own requests: one request per server (both sides on one server are
 * asked once), the names and contexts it lists, a side's name filled in when its server serves one
 * model, an unknown name and an unreachable server said per side; and a served pair's identity in
 * the score cache and provenance in its records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkServerChoice } from '../../../src/state/server-connection';
import { EMPTY_SERVER_CHOICE, savedServerChoice, serverChoiceOf, type ServerChoice } from '../../../src/state/model-sources';
import { serverModelIdentity } from '../../../src/state/persistence/pair-identity';
import { pairDescriptionOf, pairFromRecord, recordWithProvenance } from '../../../src/state/model-pair';
import { startFakeVllm } from '../../../tools/fake-vllm';
import type { FakeServer } from '../../../tools/fake-inference-server';
import { syntheticOracle } from '../../../tools/logprob-oracle';
import type { ScoreRecord } from '../../../src/core/scores/format';

const PAGE = 'http://app.example';
let two: FakeServer;
let one: FakeServer;
let nowhere: string;

beforeAll(async () => {
  two = await startFakeVllm({ models: { p: { oracle: syntheticOracle(), maxModelLen: 4096 }, r: { oracle: syntheticOracle(), maxModelLen: 2048 } } });
  one = await startFakeVllm({ models: { only: { oracle: syntheticOracle(), maxModelLen: 1024 } } });
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  nowhere = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((done) => probe.close(done));
  (globalThis as { progressAdvantageConnectOrigins?: unknown }).progressAdvantageConnectOrigins = [two.url, one.url, nowhere];
});

afterAll(async () => {
  delete (globalThis as { progressAdvantageConnectOrigins?: unknown }).progressAdvantageConnectOrigins;
  await Promise.all([two.close(), one.close()]);
});

const choice = (policy: Partial<ServerChoice['policy']>, reference: Partial<ServerChoice['reference']>): ServerChoice => ({
  ...EMPTY_SERVER_CHOICE,
  policy: { ...EMPTY_SERVER_CHOICE.policy, ...policy },
  reference: { ...EMPTY_SERVER_CHOICE.reference, ...reference },
});

describe('checkServerChoice', () => {
  it('asks a server serving both models once, and lists names with their contexts', async () => {
    const before = two.requests.length;
    const check = await checkServerChoice(choice({ url: `${two.url}/v1`, model: 'p' }, { url: two.url, model: 'r' }), PAGE);
    expect(check.problems).toEqual({ policy: null, reference: null });
    expect(check.listings).toEqual([{ url: two.url, sides: ['policy', 'reference'], served: { url: two.url, models: [{ name: 'p', context: 4096 }, { name: 'r', context: 2048 }], maxPromptTokens: null }, error: null }]);
    expect(two.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models']);
  });

  it('fills a missing name from a server serving one model, and says which names a server has', async () => {
    const check = await checkServerChoice(choice({ url: one.url }, { url: two.url, model: 'nope' }), PAGE);
    expect(check.filled).toEqual({ policy: 'only' });
    expect(check.problems).toEqual({ policy: null, reference: `the vLLM server at ${two.url} does not serve "nope"; it serves "p", "r"` });
    const unnamed = await checkServerChoice(choice({ url: two.url }, { url: '' }), PAGE);
    expect(unnamed.problems).toEqual({ policy: `the vLLM server at ${two.url} serves "p", "r": name the policy model`, reference: "enter the reference server's URL" });
  });

  it('says per side when a server cannot be reached or is not allowed yet', async () => {
    const check = await checkServerChoice(choice({ url: nowhere, model: 'p' }, { url: 'http://127.0.0.1:1', model: 'r' }), PAGE);
    expect(check.problems.policy).toMatch(new RegExp(`^cannot reach the vLLM server at ${nowhere}: `));
    expect(check.problems.reference).toMatch(/does not allow http:\/\/127\.0\.0\.1:1 yet/);
  });
});

describe('a served pair in the cache and in records', () => {
  it('is told apart by engine, URL and served name', () => {
    expect(serverModelIdentity('vllm', 'HTTP://GPU.example:8000/', 'org/m')).toBe('server:vllm:http://gpu.example:8000#org/m');
    expect(new Set([serverModelIdentity('vllm', 'http://a:1', 'm'), serverModelIdentity('sglang', 'http://a:1', 'm'), serverModelIdentity('vllm', 'http://a:2', 'm'), serverModelIdentity('vllm', 'http://a:1', 'n')]).size).toBe(4);
  });

  it('names the engine, the URLs and the served models in each record, as the CLI does', () => {
    const server = { engine: 'vllm' as const, policy: { urls: ['http://a:1'], model: 'p' }, reference: { urls: ['http://a:1'], model: 'r' } };
    const pair = pairDescriptionOf({ source: 'server', policy: 'p', reference: 'r', server }, 'fp32', 'chat', { policy: 'vllm/p@http://a:1', reference: 'vllm/r@http://a:1' });
    expect(pair).toEqual({ policy: 'p', reference: 'r', source: 'server', dtype: 'server', render: 'chat', engines: { policy: 'vllm/p@http://a:1', reference: 'vllm/r@http://a:1' } });
    const record = recordWithProvenance({ id: 't', steps: [] } as unknown as ScoreRecord, pair, undefined, server);
    expect(record).toMatchObject({ server, policyModel: 'p', referenceModel: 'r', modelSource: 'server', dtype: 'server' });
    expect(pairFromRecord(record)).toEqual(pair);
  });

  it('is kept by the session without dropped tokenizer folders', () => {
    const picked = choice({ url: 'http://a:1', model: 'p', tokenizer: 'org/tok', tokenizerFolder: { name: 'tok', files: new Map() } }, { url: 'http://a:1', model: 'r' });
    const saved = savedServerChoice(picked);
    expect(saved).toEqual({ kind: 'server', engine: 'vllm', policy: { url: 'http://a:1', model: 'p', tokenizer: 'org/tok' }, reference: { url: 'http://a:1', model: 'r', tokenizer: '' } });
    expect(serverChoiceOf(saved)).toEqual({ ...picked, policy: { ...picked.policy, tokenizerFolder: null } });
  });
});
