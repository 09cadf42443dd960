/**
 * listServedModels, the app's connection check (state/server-connection.ts): what a vLLM or SGLang
 * test server serves, each name with its max_model_len (SGLang's from its /v1/models, with the
 * scheduler's longest prompt), asked once with no retry; a server that is not there or does not
 * answer like the engine named is a ServerConnectError naming the URL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listServedModels, ReplicaPool, ServerConnectError } from '../../../../../src/core/engine/server';
import { startFakeSglang } from '../../../../../tools/fake-sglang';
import { startFakeVllm } from '../../../../../tools/fake-vllm';
import type { FakeServer } from '../../../../../tools/fake-inference-server';
import { syntheticOracle } from '../../../../../tools/logprob-oracle';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const pool = (url: string) => new ReplicaPool([url], { fetch: (u, init) => fetch(u, init), concurrency: 1, timeoutMs: 5_000, retry: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 } });

describe('listServedModels', () => {
  it('lists a vLLM server’s names with their contexts', async () => {
    const server = await startFakeVllm({ models: { a: { oracle: syntheticOracle(), maxModelLen: 4096 }, b: { oracle: syntheticOracle(), maxModelLen: 2048 } } });
    servers.push(server);
    expect(await listServedModels('vllm', server.url, pool(server.url))).toEqual({
      url: server.url,
      models: [
        { name: 'a', context: 4096 },
        { name: 'b', context: 2048 },
      ],
      maxPromptTokens: null,
    });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models']);
  });

  it('lists an SGLang server’s model with its context and longest prompt', async () => {
    const server = await startFakeSglang({ modelPath: 'org/m', model: { oracle: syntheticOracle(), maxModelLen: 1000 }, kvPoolTokens: 500 });
    servers.push(server);
    // max_req_input_len = min(1000 − 1, 500 − 1) − 5 = 494; the prompt must stay below it.
    expect(await listServedModels('sglang', server.url, pool(server.url))).toEqual({ url: server.url, models: [{ name: 'org/m', context: 1000 }], maxPromptTokens: 493 });
  });

  it('names the URL when nothing answers there, once, and when the server is not the engine named', async () => {
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((done) => probe.close(done));
    const error = await listServedModels('vllm', url, pool(url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerConnectError);
    expect((error as Error).message).toMatch(new RegExp(`^cannot reach the vLLM server at ${url}: .*connection refused`));

    const sglang = await startFakeSglang({ modelPath: 'org/m', model: { oracle: syntheticOracle(), maxModelLen: 1000 }, openAiModels: false });
    servers.push(sglang);
    const asVllm = await listServedModels('vllm', sglang.url, pool(sglang.url)).catch((e: unknown) => e);
    expect((asVllm as Error).message).toBe(`the vLLM server at ${sglang.url} refused the model query: ${sglang.url}/v1/models answered 404: Not Found (is it a vLLM server?)`);
  });
});
