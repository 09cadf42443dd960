/**
 * ServerTokenizer (src/core/engine/server/server-tokenizer.ts) against the vLLM- and SGLang-format
 * test servers answering /tokenize and /detokenize with the models' own tokenizers: a trajectory
 * prepared through the server renders to exactly the token ids, spans and token texts of the local
 * tokenizer, in plain mode and in chat mode (vLLM's messages tokenize; the realformat Qwen3
 * tokenizer with tool calls, its template applied server-side). The fingerprint pairs two servers
 * of one tokenizer and tells different ones apart; an unknown served name, a server without
 * /tokenize and chat mode through SGLang are refused saying what to do; the renderings of a released
 * trajectory are dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { namedTokenizerServesBoth, pairLabelledTokenizers, ReplicaPool, ServerTokenizer, ServerTokenizerUnavailableError, type ServerKind } from '../../../../../src/core/engine/server';
import { withModelLocation } from '../../../../../src/core/engine/model-location';
import { renderTrajectory, type RenderMode } from '../../../../../src/core/render';
import { fromTransformersTokenizer } from '../../../../../src/core/tokenizer';
import type { TokenizerLike } from '../../../../../src/core/engine/types';
import { parseTrajectoryText } from '../../../../../src/core/trajectory/ingest';
import type { Trajectory } from '../../../../../src/core/trajectory/types';
import { startFakeVllm } from '../../../../../tools/fake-vllm';
import { startFakeSglang } from '../../../../../tools/fake-sglang';
import type { FakeServer } from '../../../../../tools/fake-inference-server';
import { fakeTokenization, syntheticOracle, type LogprobOracle } from '../../../../../tools/logprob-oracle';
import { REALFORMAT_ROOT, realformatAvailable } from '../../../../../tools/realformat';

const ROOT = resolve(__dirname, '../../../../..');
const MODELS = join(ROOT, 'public/models');
const TAU2 = join(ROOT, '../shared/fixtures/trajectories/tau2_bench/airline_grok-3_4tasks_x4trials.json');

/** The model's tokenizer: the local TokenizerLike and a test-server oracle answering with it (no log-probs needed here). */
async function tokenizerOf(root: string, id: string): Promise<{ local: TokenizerLike; oracle: LogprobOracle }> {
  const raw = await withModelLocation({ modelId: id, localModelPath: root }, (modelId) => AutoTokenizer.from_pretrained(modelId));
  const local = fromTransformersTokenizer(raw);
  return { local, oracle: { ...syntheticOracle(), encode: (text) => local.encode(text), decode: (tokenId) => local.decodeTokens([tokenId])[0], tokenization: fakeTokenization(raw) } };
}

/** A template that takes only alternating user / assistant turns, as Gemma 3's (it raises otherwise). */
function strictTemplate<T>(apply: (messages: unknown[], options: T) => number[]) {
  return (messages: unknown[], options: T): number[] => {
    (messages as { role: string }[]).forEach((message, index) => {
      if (message.role !== (index % 2 === 0 ? 'user' : 'assistant')) throw new Error('Conversation roles must alternate user/assistant/user/assistant/...');
    });
    return apply(messages, options);
  };
}

let demo: Awaited<ReturnType<typeof tokenizerOf>>;
let strictLocal: TokenizerLike;
let qwen3: Awaited<ReturnType<typeof tokenizerOf>> | null = null;
let vllm: FakeServer;
let sglang: FakeServer;
let episodes: Trajectory[];
let tau2: Trajectory[] = [];

beforeAll(async () => {
  demo = await tokenizerOf(MODELS, 'demo-policy');
  if (realformatAvailable) qwen3 = await tokenizerOf(REALFORMAT_ROOT, 'qwen3-policy');
  strictLocal = { ...demo.local, applyChatTemplate: strictTemplate(demo.local.applyChatTemplate! as (messages: unknown[], options: { tools?: unknown[] }) => number[]) };
  const strictOracle: LogprobOracle = { ...demo.oracle, tokenization: { ...demo.oracle.tokenization!, applyChatTemplate: strictTemplate(demo.oracle.tokenization!.applyChatTemplate) } };
  vllm = await startFakeVllm({
    models: {
      'demo-policy': { oracle: demo.oracle, maxModelLen: 4096 },
      'demo-again': { oracle: demo.oracle, maxModelLen: 4096 },
      'demo-strict': { oracle: strictOracle, maxModelLen: 4096 },
      ...(qwen3 ? { 'qwen3-policy': { oracle: qwen3.oracle, maxModelLen: 40960 } } : {}),
      'no-tokenize': { oracle: syntheticOracle(), maxModelLen: 4096 },
    },
  });
  sglang = await startFakeSglang({ modelPath: 'demo-policy', model: { oracle: demo.oracle, maxModelLen: 4096 } });
  const text = readFileSync(join(ROOT, 'public/examples/demo-episodes.jsonl'), 'utf8').split('\n').slice(0, 3).join('\n') + '\n';
  episodes = parseTrajectoryText('demo.jsonl', text).trajectories;
  if (realformatAvailable) tau2 = parseTrajectoryText('tau2.json', readFileSync(TAU2, 'utf8')).trajectories.filter((t) => t.messages.some((message) => (message.toolCalls?.length ?? 0) > 0)).slice(0, 2);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([vllm?.close(), sglang?.close()]);
});

const poolOf = (server: FakeServer) => new ReplicaPool([server.url], { fetch: (url, init) => fetch(url, init), concurrency: 4, timeoutMs: 10_000, retry: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 } });
const connect = (kind: ServerKind, server: FakeServer, model: string) => ServerTokenizer.connect({ kind, model, where: server.url }, poolOf(server));

async function expectSameRendering(tokenizer: ServerTokenizer, local: TokenizerLike, trajectory: Trajectory, mode: RenderMode) {
  await tokenizer.prepare(trajectory, mode);
  const served = renderTrajectory(trajectory, tokenizer, mode);
  const expected = renderTrajectory(trajectory, local, mode);
  expect(served.tokenIds.length).toBeGreaterThan(20);
  expect(served.tokenIds).toEqual(expected.tokenIds);
  expect(served.messageSpans).toEqual(expected.messageSpans);
  expect(served.actionSpans).toEqual(expected.actionSpans);
  expect(served.chatMapping).toEqual(expected.chatMapping);
  expect(tokenizer.decodeTokens(served.tokenIds)).toEqual(local.decodeTokens(expected.tokenIds));
}

describe('ServerTokenizer', () => {
  it('vLLM: the demo episodes render as with the local tokenizer, plain and chat; BOS as the local one', async () => {
    const tokenizer = await connect('vllm', vllm, 'demo-policy');
    expect(tokenizer.bosTokenId).toBe(demo.local.bosTokenId);
    expect(tokenizer.label).toBe(`server /tokenize of ${vllm.url} "demo-policy"`);
    for (const trajectory of episodes) for (const mode of ['plain', 'chat'] as const) await expectSameRendering(tokenizer, demo.local, trajectory, mode);
  }, 60_000);

  it('vLLM chat, a template that refuses the log as written (the server’s 400): kept, the alternating turns fetched, the local outcome', async () => {
    const tokenizer = await connect('vllm', vllm, 'demo-strict');
    const before = vllm.requests.length;
    await tokenizer.prepare(episodes[0], 'chat');
    // The log as written (whole, empty, each prefix: refused, kept), then the same on alternating turns.
    expect(vllm.requests.slice(before).filter((request) => request.path === '/tokenize').length).toBeGreaterThan(2 * episodes[0].messages.length);
    const failure = (tokenizer: TokenizerLike) => {
      try {
        renderTrajectory(episodes[0], tokenizer, 'chat');
      } catch (error) {
        return (error as Error).message;
      }
      return 'rendered';
    };
    const local = failure(strictLocal);
    // The demo template cannot split the mapped turns either: the same refusal, found from the server's tokens.
    expect(local).toMatch(/^the chat template failed on the whole conversation \(\d+ messages\): Conversation roles must alternate .*; mapped onto alternating user \/ assistant turns, the chat template's rendering could not be split into messages: message \d+ \(tool\) is not in tokens/);
    expect(failure(tokenizer).replace("the server's chat template failed: ", '').replace('... None;', '...;')).toBe(local);
  }, 60_000);

  it('SGLang: plain mode through its list /tokenize and /detokenize; chat mode refused naming what to do', async () => {
    const tokenizer = await connect('sglang', sglang, 'demo-policy');
    const before = sglang.requests.length;
    await expectSameRendering(tokenizer, demo.local, episodes[0], 'plain');
    // One /tokenize for the messages' texts, one /detokenize for their distinct ids.
    expect(sglang.requests.slice(before).map((request) => request.path)).toEqual(['/tokenize', '/detokenize']);
    expect(tokenizer.applyChatTemplate).toBeNull();
    await expect(tokenizer.prepare(episodes[0], 'chat')).rejects.toThrow(/does not apply chat templates.*name the model's own tokenizer \(a folder or hub id\) to render in chat mode, or render plain/);
  }, 60_000);

  it.skipIf(!realformatAvailable)('vLLM chat: the Qwen3 template with tool calls applied by the server gives the local rendering', async () => {
    const tokenizer = await connect('vllm', vllm, 'qwen3-policy');
    expect(tokenizer.bosTokenId).toBe(qwen3!.local.bosTokenId);
    expect(tau2).toHaveLength(2);
    for (const trajectory of tau2) {
      await expectSameRendering(tokenizer, qwen3!.local, trajectory, 'chat');
      await expectSameRendering(tokenizer, qwen3!.local, trajectory, 'plain');
    }
  }, 120_000);

  it('fingerprints: one tokenizer under two names pairs; another tokenizer does not; neither is a local fingerprint', async () => {
    const [a, b] = [await connect('vllm', vllm, 'demo-policy'), await connect('vllm', vllm, 'demo-again')];
    expect(a.vocabularyFingerprint).toBe(b.vocabularyFingerprint);
    expect(a.vocabularyFingerprint).toMatch(/^server-tokenize:fnv1a64:[0-9a-f]{16}$/);
    expect((await connect('sglang', sglang, 'demo-policy')).vocabularyFingerprint).toBe(a.vocabularyFingerprint);
    expect(a.vocabularyFingerprint).not.toBe(demo.local.vocabularyFingerprint);
    if (qwen3) expect((await connect('vllm', vllm, 'qwen3-policy')).vocabularyFingerprint).not.toBe(a.vocabularyFingerprint);
    // A named tokenizer serves another server's side when it tokenizes as that server does.
    const named = { tokenizer: demo.local, label: 'folder demo-policy' };
    expect(await namedTokenizerServesBoth(named, { kind: 'vllm', model: 'demo-again', pool: poolOf(vllm) })).toBe(true);
    if (qwen3) expect(await namedTokenizerServesBoth(named, { kind: 'vllm', model: 'qwen3-policy', pool: poolOf(vllm) })).toBe(false);
    // Otherwise the pair is scored at step level, saying why.
    expect(pairLabelledTokenizers({ tokenizer: a, label: a.label }, { tokenizer: b, label: b.label })).toEqual({ level: 'token', relation: 'identical' });
    const mixed = pairLabelledTokenizers(named, { tokenizer: a, label: a.label });
    expect(mixed.level).toBe('step');
    expect('notice' in mixed && mixed.notice).toBe(
      `the policy tokenizer (folder demo-policy) and the reference tokenizer (${a.label}) are not known to tokenize alike (fingerprints ${demo.local.vocabularyFingerprint} and ${a.vocabularyFingerprint}); ` +
        'falling back to step-level scores: each model scores the trajectory in its own tokenization and a step gets the difference of its two log-likelihoods (the named tokenizer does not tokenize as the other server does, so each side keeps its own)',
    );
  }, 60_000);

  it('an unknown served name and a server without /tokenize are refused, saying what to do', async () => {
    await expect(connect('vllm', vllm, 'nobody')).rejects.toThrow(new ServerTokenizerUnavailableError(`the vLLM server at ${vllm.url} does not tokenize for the model "nobody": The model \`nobody\` does not exist.`));
    await expect(connect('vllm', vllm, 'no-tokenize')).rejects.toThrow(
      new ServerTokenizerUnavailableError(`the vLLM server at ${vllm.url} has no tokenize endpoint (404), and no tokenizer was named: name the model's own tokenizer (a folder or hub id)`),
    );
  });

  it('renders only what was prepared; a released trajectory is asked for again', async () => {
    const tokenizer = await connect('vllm', vllm, 'demo-policy');
    expect(() => renderTrajectory(episodes[1], tokenizer, 'plain')).toThrow(/was not asked for this rendering \(the trajectory was not prepared\)/);
    await tokenizer.prepare(episodes[1], 'plain');
    expect(renderTrajectory(episodes[1], tokenizer, 'plain').tokenIds).toEqual(renderTrajectory(episodes[1], demo.local, 'plain').tokenIds);
    tokenizer.release(episodes[1]);
    expect(() => renderTrajectory(episodes[1], tokenizer, 'plain')).toThrow(/was not asked for this rendering/);
  });
});
