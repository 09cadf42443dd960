/**
 * `score --engine vllm|sglang` with no tokenizer named (issue 16): the servers' own /tokenize and
 * /detokenize (the test servers answer with the demo pair's own tokenizers, and log-probs from the
 * product's ONNX engine). The records carry the same token ids and the same figures (within 1e-5)
 * as with the tokenizer folders named, in plain mode and in chat mode (vLLM's messages tokenize:
 * the chat template applied by the server), and say which tokenizer was used, as stderr does.
 * Refused with what to do: SGLang's tokenize in chat mode, a server without /tokenize, a named
 * tokenizer that is not the served model's (checked against the server's /tokenize). A tokenizer
 * named for one side only serves the other side too when it tokenizes as that side's server. On the realformat Qwen3 pair (its real tokenizer and chat template, tau²-bench
 * tool calls), chat mode through vLLM's own tokenize gives the local engine's file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScoreJsonl, type ScoreRecord } from '../../../../src/core/scores/format';
import { engineOracle, syntheticOracle, type LogprobOracle } from '../../../../tools/logprob-oracle';
import { startFakeVllm } from '../../../../tools/fake-vllm';
import { startFakeSglang } from '../../../../tools/fake-sglang';
import type { FakeServer } from '../../../../tools/fake-inference-server';
import { REALFORMAT_ROOT, realformatAvailable } from '../../../../tools/realformat';
import { ROOT, maxAbsDifference, runCli } from './score-helpers';

const MODELS = join(ROOT, 'public/models');
const POLICY_DIR = join(MODELS, 'demo-policy');
const REFERENCE_DIR = join(MODELS, 'demo-reference');
const COUNT = 4;

let work: string;
let episodes: string;
let oracles: { policy: LogprobOracle & { dispose(): Promise<void> }; reference: LogprobOracle & { dispose(): Promise<void> } };
let vllm: FakeServer;
const servers: FakeServer[] = [];

function records(text: string): ScoreRecord[] {
  const parsed = parseScoreJsonl(text, 'out.jsonl');
  expect(parsed.errors).toEqual([]);
  // Written as each trajectory finishes: in id order for comparison.
  return parsed.records.map(({ record }) => record).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function expectSameFigures(served: ScoreRecord[], named: ScoreRecord[]) {
  expect(served).toHaveLength(COUNT);
  let tokens = 0;
  served.forEach((record, index) => {
    const expected = named[index];
    expect(record.id).toBe(expected.id);
    expect(record.steps.map((step) => step.message)).toEqual(expected.steps.map((step) => step.message));
    record.steps.forEach((step, s) => {
      const want = expected.steps[s];
      expect(step.tokenIds).toEqual(want.tokenIds);
      expect(step.tokens).toEqual(want.tokens);
      expect(maxAbsDifference(step.policy, want.policy)).toBeLessThan(1e-5);
      expect(maxAbsDifference(step.reference, want.reference)).toBeLessThan(1e-5);
      tokens += step.policy.length;
    });
  });
  expect(tokens).toBeGreaterThan(50);
}

const score = (engine: string, urls: { policy: string; reference: string }, render: string, out: string, extra: string[] = []) =>
  runCli(['score', '--engine', engine, '--policy-url', urls.policy, '--reference-url', urls.reference, '--policy-model', 'demo-policy', '--reference-model', 'demo-reference', '--render', render, '--out', out, ...extra, episodes]);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'score-server-tokenizer-'));
  episodes = join(work, 'episodes.jsonl');
  const lines = (await readFile(join(ROOT, 'public/examples/demo-episodes.jsonl'), 'utf8')).trim().split('\n').slice(0, COUNT);
  await writeFile(episodes, `${lines.join('\n')}\n`);
  oracles = { policy: await engineOracle(MODELS, 'demo-policy'), reference: await engineOracle(MODELS, 'demo-reference') };
  vllm = await startFakeVllm({ models: { 'demo-policy': { oracle: oracles.policy, maxModelLen: 128 }, 'demo-reference': { oracle: oracles.reference, maxModelLen: 128 } } });
  servers.push(vllm);
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await Promise.all([oracles?.policy.dispose(), oracles?.reference.dispose()]);
  await rm(work, { recursive: true, force: true });
});

describe('score --engine with the servers’ own tokenizers', () => {
  for (const render of ['plain', 'chat'] as const) {
    it(`vLLM, ${render}: the same token ids and figures as with the tokenizer folders named; the tokenizer said`, async () => {
      const urls = { policy: vllm.url, reference: vllm.url };
      const [viaServer, viaFolders] = [join(work, `server-${render}.jsonl`), join(work, `folders-${render}.jsonl`)];
      const served = await score('vllm', urls, render, viaServer);
      expect(served.status, served.stderr).toBe(0);
      const named = await score('vllm', urls, render, viaFolders, ['--policy-tokenizer', POLICY_DIR, '--reference-tokenizer', REFERENCE_DIR]);
      expect(named.status, named.stderr).toBe(0);
      expectSameFigures(records(await readFile(viaServer, 'utf8')), records(await readFile(viaFolders, 'utf8')));
      expect(served.stderr).toContain(`policy tokenizer: server /tokenize of ${vllm.url} "demo-policy"`);
      expect(served.stderr).toContain(`reference tokenizer: server /tokenize of ${vllm.url} "demo-reference"`);
      expect(served.stderr).not.toMatch(/step-level/);
      const first = JSON.parse((await readFile(viaServer, 'utf8')).split('\n')[0]) as { scoreLevel: string; server: { policy: { tokenizer: string }; reference: { tokenizer: string } } };
      expect(first.scoreLevel).toBe('token');
      expect(first.server.policy.tokenizer).toBe(`server /tokenize of ${vllm.url} "demo-policy"`);
      expect(first.server.reference.tokenizer).toBe(`server /tokenize of ${vllm.url} "demo-reference"`);
    }, 240_000);
  }

  it('SGLang, plain: the same figures through its list /tokenize; chat refused, saying what to name', async () => {
    const policy = await startFakeSglang({ modelPath: 'demo-policy', model: { oracle: oracles.policy, maxModelLen: 128 } });
    const reference = await startFakeSglang({ modelPath: 'demo-reference', model: { oracle: oracles.reference, maxModelLen: 128 } });
    servers.push(policy, reference);
    const urls = { policy: policy.url, reference: reference.url };
    const [viaServer, viaFolders] = [join(work, 'sglang-server.jsonl'), join(work, 'sglang-folders.jsonl')];
    const served = await score('sglang', urls, 'plain', viaServer);
    expect(served.status, served.stderr).toBe(0);
    const named = await score('sglang', urls, 'plain', viaFolders, ['--policy-tokenizer', POLICY_DIR, '--reference-tokenizer', REFERENCE_DIR]);
    expect(named.status, named.stderr).toBe(0);
    expectSameFigures(records(await readFile(viaServer, 'utf8')), records(await readFile(viaFolders, 'utf8')));
    const chat = await score('sglang', urls, 'chat', join(work, 'sglang-chat.jsonl'));
    expect(chat.status).toBe(1);
    expect(chat.stderr).toContain("error: SGLang's /tokenize does not apply chat templates: with --render chat name the policy's tokenizer (--policy-tokenizer DIR|HUB_ID), or render plain");
  }, 240_000);

  it('a server without /tokenize: refused, naming the option', async () => {
    const bare = await startFakeVllm({ models: { 'demo-policy': { oracle: syntheticOracle(), maxModelLen: 128 }, 'demo-reference': { oracle: syntheticOracle(), maxModelLen: 128 } } });
    servers.push(bare);
    const result = await score('vllm', { policy: bare.url, reference: bare.url }, 'plain', join(work, 'bare.jsonl'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`error: the vLLM server at ${bare.url} has no tokenize endpoint (404), and no tokenizer was named: name it with --policy-tokenizer / --reference-tokenizer DIR|HUB_ID`);
  }, 60_000);

  it.skipIf(!realformatAvailable)('a named tokenizer that is not the served model’s stops the job, showing the first difference', async () => {
    const result = await score('vllm', { policy: vllm.url, reference: vllm.url }, 'plain', join(work, 'wrong.jsonl'), ['--policy-tokenizer', join(REALFORMAT_ROOT, 'qwen3-policy'), '--reference-tokenizer', REFERENCE_DIR]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`error: the policy model: the tokenizer (folder ${join(REALFORMAT_ROOT, 'qwen3-policy')}) does not tokenize as the vLLM server's "demo-policy" does: for `);
  }, 60_000);

  it('a tokenizer named for one side only serves the other too when it tokenizes as that server does: token level', async () => {
    const out = join(work, 'one-named.jsonl');
    const result = await score('vllm', { policy: vllm.url, reference: vllm.url }, 'plain', out, ['--policy-tokenizer', POLICY_DIR]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(`reference tokenizer: folder ${POLICY_DIR} (it tokenizes as the reference server's "demo-reference")`);
    expect(result.stderr).not.toMatch(/step-level/);
    const written = records(await readFile(out, 'utf8'));
    expect(written.map((record) => (record as { scoreLevel?: string }).scoreLevel)).toEqual(Array.from({ length: COUNT }, () => 'token'));
    for (const record of written) for (const step of record.steps) expect(step.tokenIds).toHaveLength(step.policy.length);
  }, 120_000);
});

describe.skipIf(!realformatAvailable)('score --engine vllm with the server’s own tokenizer on the realformat Qwen3 pair', () => {
  const folder = (side: 'policy' | 'reference') => join(REALFORMAT_ROOT, `qwen3-${side}`);
  let qwen3: { policy: LogprobOracle & { dispose(): Promise<void> }; reference: LogprobOracle & { dispose(): Promise<void> } };
  let server: FakeServer;
  let tau2: string;

  beforeAll(async () => {
    // Two tau²-bench simulations cut short; the first has a tool call and its result.
    const file = JSON.parse(await readFile(join(ROOT, '../shared/fixtures/trajectories/tau2_bench/airline_grok-3_4tasks_x4trials.json'), 'utf8')) as { simulations: { messages: unknown[] }[] };
    tau2 = join(work, 'tau2-short.json');
    await writeFile(tau2, JSON.stringify({ ...file, simulations: [{ ...file.simulations[5], messages: file.simulations[5].messages.slice(0, 8) }, { ...file.simulations[6], messages: file.simulations[6].messages.slice(0, 4) }] }));
    qwen3 = { policy: await engineOracle(REALFORMAT_ROOT, 'qwen3-policy'), reference: await engineOracle(REALFORMAT_ROOT, 'qwen3-reference') };
    server = await startFakeVllm({ models: { 'qwen3-policy': { oracle: qwen3.policy, maxModelLen: 40960 }, 'qwen3-reference': { oracle: qwen3.reference, maxModelLen: 40960 } } });
    servers.push(server);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([qwen3?.policy.dispose(), qwen3?.reference.dispose()]);
  });

  it('chat: the local engine’s token ids and figures (within 1e-5)', async () => {
    const [viaServer, viaLocal] = [join(work, 'qwen3-server.jsonl'), join(work, 'qwen3-local.jsonl')];
    const local = await runCli(['score', '--policy', folder('policy'), '--reference', folder('reference'), '--dtype', 'fp32', '--render', 'chat', '--out', viaLocal, '--quiet', tau2]);
    expect(local.status, local.stderr).toBe(0);
    const served = await runCli(['score', '--engine', 'vllm', '--policy-url', server.url, '--reference-url', server.url, '--policy-model', 'qwen3-policy', '--reference-model', 'qwen3-reference', '--render', 'chat', '--out', viaServer, tau2]);
    expect(served.status, served.stderr).toBe(0);
    expect(served.stderr).toContain(`policy tokenizer: server /tokenize of ${server.url} "qwen3-policy"`);
    const [got, want] = [records(await readFile(viaServer, 'utf8')), records(await readFile(viaLocal, 'utf8'))];
    expect(got.map((record) => record.id)).toEqual(want.map((record) => record.id));
    expect(got).toHaveLength(2);
    let tokens = 0;
    got.forEach((record, index) => {
      expect(record.steps.map((step) => step.message)).toEqual(want[index].steps.map((step) => step.message));
      record.steps.forEach((step, s) => {
        expect(step.tokenIds).toEqual(want[index].steps[s].tokenIds);
        expect(maxAbsDifference(step.policy, want[index].steps[s].policy)).toBeLessThan(1e-5);
        expect(maxAbsDifference(step.reference, want[index].steps[s].reference)).toBeLessThan(1e-5);
        tokens += step.policy.length;
      });
    });
    expect(tokens).toBeGreaterThan(100);
  }, 180_000);
});
