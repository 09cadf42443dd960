/**
 * The context a server engine reads from the server, against the vLLM and SGLang test servers with
 * seeded numbers (no model). SGLang's model info carries no context length: it comes from its
 * `/v1/models` card (`max_model_len`), lowered by `/get_server_info`'s `max_req_input_len` when the
 * KV cache pool is smaller than the context; the longest sequence the engine takes is exactly the
 * longest the server accepts (one token more is refused locally, without a request). A server that
 * enforces less than it says answers 400: thrown at once with the server's words and what to change,
 * never retried. vLLM: the named model's own card decides, not the smallest of the server's models.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ServerRequestError, createServerEngine, type ClientOptions } from '../../../../../src/core/engine/server';
import { ContextLimitError } from '../../../../../src/core/engine/types';
import { startFakeSglang, type FakeSglangOptions } from '../../../../../tools/fake-sglang';
import { startFakeVllm } from '../../../../../tools/fake-vllm';
import { syntheticOracle } from '../../../../../tools/logprob-oracle';
import type { FakeServer } from '../../../../../tools/fake-inference-server';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const client: ClientOptions = { fetch: (url, init) => fetch(url, init), concurrency: 1, timeoutMs: 5000, retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 2 } };
const ids = (count: number) => Array.from({ length: count }, (_, index) => (index * 37) % 1000);
/** Scores every token of a sequence of `count` tokens (sends all of them). */
const whole = (count: number) => [{ start: 1, end: count }];

async function sglang(options: Partial<FakeSglangOptions> & { maxModelLen: number }): Promise<FakeServer> {
  const { maxModelLen, ...rest } = options;
  const server = await startFakeSglang({ modelPath: 'org/model', model: { oracle: syntheticOracle(), maxModelLen }, ...rest });
  servers.push(server);
  return server;
}

describe('SGLang context', () => {
  it('the /v1/models context with room to spare in the KV pool: the longest prompt is the tokenizer manager\'s (prompt + 1 < context) and the scheduler\'s (prompt < max_req_input_len)', async () => {
    // max_req_input_len = min(200 − 1, pool − 1) − 5 = 194: prompts up to 193 tokens.
    const server = await sglang({ maxModelLen: 200 });
    const engine = await createServerEngine({ kind: 'sglang', urls: [server.url], topLogprobs: 0 }, client);
    expect(engine.serverContext).toBe(200);
    expect(engine.server.maxPromptTokens).toBe(193);
    expect(engine.maxContext + 1).toBe(193);
    expect(await engine.score(ids(193), whole(193))).toHaveLength(1);
    expect(server.answeredPrompts.at(-1)).toHaveLength(193);
    const before = server.counts.received;
    await expect(engine.score(ids(194), whole(194))).rejects.toThrow(ContextLimitError);
    expect(server.counts.received).toBe(before);
  });

  it('a KV cache pool smaller than the context lowers the longest prompt', async () => {
    // max_req_input_len = min(4095, 99) − 5 = 94: prompts up to 93 tokens.
    const server = await sglang({ maxModelLen: 4096, kvPoolTokens: 100 });
    const engine = await createServerEngine({ kind: 'sglang', urls: [server.url], topLogprobs: 0 }, client);
    expect(engine.serverContext).toBe(4096);
    expect(engine.maxContext + 1).toBe(93);
    expect(await engine.score(ids(93), whole(93))).toHaveLength(1);
    await expect(engine.score(ids(94), whole(94))).rejects.toThrow(ContextLimitError);
  });

  it('the smallest limit among replicas decides', async () => {
    const roomy = await sglang({ maxModelLen: 4096 });
    const tight = await sglang({ maxModelLen: 4096, kvPoolTokens: 300 });
    const engine = await createServerEngine({ kind: 'sglang', urls: [roomy.url, tight.url], topLogprobs: 0 }, client);
    expect(engine.maxContext + 1).toBe(293);
  });

  it('a server that enforces less than it says: its 400 thrown at once with what to change, not retried', async () => {
    // No /get_server_info (e.g. behind a proxy that forwards only the model routes): the context alone is known.
    const server = await sglang({ maxModelLen: 4096, kvPoolTokens: 100, advertisedMaxReqInputLen: null });
    const engine = await createServerEngine({ kind: 'sglang', urls: [server.url], topLogprobs: 0 }, client);
    expect(engine.server.maxPromptTokens).toBeUndefined();
    expect(engine.maxContext + 1).toBe(4094);
    const failure = engine.score(ids(120), whole(120));
    await expect(failure).rejects.toThrow(ServerRequestError);
    await expect(failure).rejects.toThrow(
      /answered 400: Input length \(120 tokens\) exceeds the maximum allowed length \(94 tokens\)\. Use a shorter input or enable --allow-auto-truncate\. \(.*more KV cache memory \(--mem-fraction-static\) or a larger --context-length, or score with --context-policy reference --context-tokens N\)/,
    );
    expect(server.counts.received).toBe(1);
  });

  it('a server that says no context at all is refused at connection', async () => {
    const server = await sglang({ maxModelLen: 4096, advertisedMaxReqInputLen: null });
    // Without /v1/models' max_model_len either (an older server): nothing says the context.
    const withoutCard = await startFakeSglang({ modelPath: 'org/model', model: { oracle: syntheticOracle(), maxModelLen: 4096 }, advertisedMaxReqInputLen: null, openAiModels: false });
    servers.push(withoutCard);
    await expect(createServerEngine({ kind: 'sglang', urls: [server.url], topLogprobs: 0 }, client)).resolves.toBeDefined();
    await expect(createServerEngine({ kind: 'sglang', urls: [withoutCard.url], topLogprobs: 0 }, client)).rejects.toThrow(
      /does not say its context length \(no max_model_len for "org\/model" in \/v1\/models, nor context_length or max_req_input_len in \/get_server_info\)/,
    );
  });
});

describe('vLLM context', () => {
  it('the named model\'s own card decides', async () => {
    const oracle = syntheticOracle();
    const server = await startFakeVllm({ models: { small: { oracle, maxModelLen: 64 }, large: { oracle, maxModelLen: 512 } } });
    servers.push(server);
    const large = await createServerEngine({ kind: 'vllm', urls: [server.url], model: 'large', topLogprobs: 0 }, client);
    expect(large.serverContext).toBe(512);
    // vLLM takes prompt + max_tokens (1) ≤ max_model_len.
    expect(large.maxContext + 1).toBe(511);
    expect(await large.score(ids(511), whole(511))).toHaveLength(1);
    const small = await createServerEngine({ kind: 'vllm', urls: [server.url], model: 'small', topLogprobs: 0 }, client);
    expect(small.maxContext + 1).toBe(63);
  });
});
