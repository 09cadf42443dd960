/**
 * checkServerTokenizer against a vLLM-format test server: the product's own tokenizer of the demo
 * pair agrees with the server's /tokenize for the served name on every probe; another tokenization
 * is refused with the first difference shown; a server without /tokenize is said, not assumed; an
 * unknown served name is the server's 404, thrown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { checkServerTokenizer, ReplicaPool, ServerRequestError, ServerTokenizerMismatchError, TOKENIZER_PROBES } from '../../../../../src/core/engine/server';
import { startFakeVllm } from '../../../../../tools/fake-vllm';
import type { FakeServer } from '../../../../../tools/fake-inference-server';
import { engineOracle, syntheticOracle, type LogprobOracle } from '../../../../../tools/logprob-oracle';

const MODELS = resolve(__dirname, '../../../../../public/models');
let oracle: LogprobOracle & { dispose(): Promise<void> };
let server: FakeServer;

beforeAll(async () => {
  oracle = await engineOracle(MODELS, 'demo-policy');
  server = await startFakeVllm({
    models: {
      'demo-policy': { oracle, maxModelLen: 128 },
      // Another tokenization of the same texts: each id shifted by one.
      shifted: { oracle: { ...oracle, encode: (text: string) => oracle.encode!(text).map((id) => id + 1) }, maxModelLen: 128 },
      'no-tokenize': { oracle: syntheticOracle(), maxModelLen: 128 },
    },
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await oracle?.dispose();
});

const pool = () => new ReplicaPool([server.url], { fetch: (url, init) => fetch(url, init), concurrency: 1, timeoutMs: 5_000, retry: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 } });
const tokenizer = { encode: (text: string) => oracle.encode!(text) };

describe('checkServerTokenizer', () => {
  it('agrees when the tokenizer is the served model’s, asking the server for that name', async () => {
    const before = server.requests.length;
    expect(await checkServerTokenizer('vllm', 'demo-policy', tokenizer, pool(), 'folder demo-policy')).toEqual({ agrees: true, probes: TOKENIZER_PROBES.length });
    expect(server.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(TOKENIZER_PROBES.map(() => 'POST /tokenize'));
  });

  it('refuses another tokenization, showing where it first differs', async () => {
    const error = await checkServerTokenizer('vllm', 'shifted', tokenizer, pool(), 'folder demo-policy').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerTokenizerMismatchError);
    const ids = oracle.encode!(TOKENIZER_PROBES[0]);
    expect((error as Error).message).toBe(
      `the tokenizer (folder demo-policy) does not tokenize as the vLLM server's "shifted" does: for ${JSON.stringify(TOKENIZER_PROBES[0])} it gives ${ids.length} tokens, the server ${ids.length}, ` +
        `first differing at token 0: [${ids.slice(0, 4).join(', ')}${ids.length > 4 ? ', …' : ''}] here, [${ids.slice(0, 4).map((id) => id + 1).join(', ')}${ids.length > 4 ? ', …' : ''}] there. ` +
        `Name the model's own tokenizer (its hub id or folder): the server is sent token ids`,
    );
  });

  it('says when the server cannot tokenize, and throws for a name it does not serve', async () => {
    expect(await checkServerTokenizer('vllm', 'no-tokenize', tokenizer, pool(), 'hub model "x"')).toEqual({
      agrees: null,
      reason: 'the vLLM server has no tokenize endpoint (404), so the tokenizer (hub model "x") was not checked against "no-tokenize"',
    });
    await expect(checkServerTokenizer('vllm', 'nope', tokenizer, pool(), 'x')).rejects.toBeInstanceOf(ServerRequestError);
  });
});
