/**
 * `score --engine vllm|sglang` end to end: the CLI (a child process) against servers in this
 * process that speak vLLM's and SGLang's wire formats and answer with the product's ONNX engine on
 * the demo pair. The records equal the local engine's (`score --policy … --reference …`) within
 * 1e-5, `eval` and the app's reader (the ingestion registry, run by `inspect`) read them, and the job loses nothing through faults: dropped
 * connections, 503 then recovery, malformed JSON, a slow replica (timeouts), a replica that dies
 * mid-job (the others finish it; alone, `--resume` after a restart scores only what is missing),
 * vLLM's 400 for a prompt over the context and for prompt_logprobs above the cap (never retried,
 * reported with what to change), SGLang's limit read from the server (steps beyond it unscored) and
 * its 400 when it enforces less than it says, an unknown model, an unreachable server and a bad
 * input line (named, the rest scored, exit 1). Progress is said after every trajectory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseScoreJsonl, type ScoreRecord } from '../../../../src/core/scores/format';
import { engineOracle, type LogprobOracle } from '../../../../tools/logprob-oracle';
import { startFakeVllm, type ServedModel } from '../../../../tools/fake-vllm';
import { startFakeSglang } from '../../../../tools/fake-sglang';
import type { FakeServer, Faults } from '../../../../tools/fake-inference-server';
import { ROOT, maxAbsDifference, runCli } from './score-helpers';

const MODELS = join(ROOT, 'public/models');
const POLICY_DIR = join(MODELS, 'demo-policy');
const REFERENCE_DIR = join(MODELS, 'demo-reference');
const TOKENIZERS = ['--policy-tokenizer', POLICY_DIR, '--reference-tokenizer', REFERENCE_DIR];
const COUNT = 10;

let work: string;
let episodes: string;
let local: Map<string, ScoreRecord>;
let oracles: { policy: LogprobOracle & { dispose(): Promise<void> }; reference: LogprobOracle & { dispose(): Promise<void> } };
const servers: FakeServer[] = [];

const served = (oracle: LogprobOracle, extra: Partial<ServedModel> = {}): ServedModel => ({ oracle, maxModelLen: 128, ...extra });

async function vllm(options: { faults?: Partial<Faults>; maxLogprobs?: number; reference?: Partial<ServedModel> } = {}): Promise<FakeServer> {
  const server = await startFakeVllm({
    models: { 'demo-policy': served(oracles.policy), 'demo-reference': served(oracles.reference, options.reference) },
    ...(options.maxLogprobs !== undefined ? { maxLogprobs: options.maxLogprobs } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
  });
  servers.push(server);
  return server;
}

function records(text: string): Map<string, ScoreRecord> {
  const parsed = parseScoreJsonl(text, 'out.jsonl');
  expect(parsed.errors).toEqual([]);
  return new Map(parsed.records.map(({ record }) => [record.id, record]));
}

/** Every record of `text` equals the local run's within 1e-5 (no entropy: servers give none). */
function expectLocalFigures(text: string, expectedCount = COUNT) {
  const byId = records(text);
  expect(byId.size).toBe(expectedCount);
  expect(text.trim().split('\n')).toHaveLength(expectedCount); // each trajectory exactly once
  for (const [id, record] of byId) {
    const expected = local.get(id)!;
    expect(record.steps.map((step) => step.message)).toEqual(expected.steps.map((step) => step.message));
    record.steps.forEach((step, index) => {
      const want = expected.steps[index];
      expect(step.tokenIds).toEqual(want.tokenIds);
      expect(maxAbsDifference(step.policy, want.policy)).toBeLessThan(1e-5);
      expect(maxAbsDifference(step.reference, want.reference)).toBeLessThan(1e-5);
      if (step.topkMean) expect(maxAbsDifference(step.topkMean, want.topkMean!)).toBeLessThan(1e-5);
      expect(step.entropy).toBeUndefined();
    });
  }
}

const serverScore = (urls: { policy: string; reference: string }, out: string, extra: string[] = [], engine = 'vllm') =>
  runCli(['score', '--engine', engine, '--policy-url', urls.policy, '--reference-url', urls.reference, '--policy-model', 'demo-policy', '--reference-model', 'demo-reference', ...TOKENIZERS, '--render', 'chat', '--out', out, ...extra, episodes]);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'score-server-'));
  episodes = join(work, 'episodes.jsonl');
  const lines = (await readFile(join(ROOT, 'public/examples/demo-episodes.jsonl'), 'utf8')).trim().split('\n').slice(0, COUNT);
  await writeFile(episodes, `${lines.join('\n')}\n`);
  oracles = { policy: await engineOracle(MODELS, 'demo-policy'), reference: await engineOracle(MODELS, 'demo-reference') };
  const out = join(work, 'local.jsonl');
  const result = await runCli(['score', '--policy', POLICY_DIR, '--reference', REFERENCE_DIR, '--render', 'chat', '--out', out, '--quiet', episodes]);
  expect(result.stderr).toBe('');
  local = records(await readFile(out, 'utf8'));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await Promise.all([oracles?.policy.dispose(), oracles?.reference.dispose()]);
  await rm(work, { recursive: true, force: true });
});

describe('score --engine vllm | sglang', () => {
  it('vLLM, one server serving both models: equal to the local engine; eval reads the file', async () => {
    const server = await vllm();
    const out = join(work, 'vllm.jsonl');
    const result = await serverScore({ policy: server.url, reference: server.url }, out);
    expect(result.status, result.stderr).toBe(0);
    const text = await readFile(out, 'utf8');
    expectLocalFigures(text);
    const first = JSON.parse(text.split('\n')[0]) as Record<string, any>;
    expect(first.server).toEqual({ engine: 'vllm', policy: { urls: [server.url], model: 'demo-policy', tokenizer: `folder ${POLICY_DIR}` }, reference: { urls: [server.url], model: 'demo-reference', tokenizer: `folder ${REFERENCE_DIR}` } });
    expect(first.engines.policy).toBe(`vllm/demo-policy@${server.url}`);
    expect(first.execution.policy.device).toBe('server');
    expect(first.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.steps[0].topkMean).toHaveLength(first.steps[0].policy.length);
    expect(result.stderr).toMatch(/10 scored, 0 skipped \(already in the output\), 0 failed of 10 trajectories/);
    // Progress after each trajectory (trajectories done, tokens/s, time left); the last one has nothing left.
    expect(result.stderr.match(/done; \d+\/10 trajectories, \d+ tokens\/s, about \d+\.\d s left/g)).toHaveLength(COUNT);
    expect(result.stderr).toMatch(/done; 10\/10 trajectories, [1-9]\d* tokens\/s, about 0\.0 s left/);
    const evaluated = await runCli(['eval', out]);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    // The app reads files through the ingestion registry (core/trajectory/ingest.ts, as the ingestion worker does); inspect runs the same.
    const inspected = await runCli(['inspect', '--json', out]);
    expect(inspected.status, inspected.stderr).toBe(0);
    const listed = inspected.stdout.trim().split('\n').map((line) => JSON.parse(line) as { format: string; id: string });
    expect(listed.map((entry) => entry.format)).toEqual(Array.from({ length: COUNT }, () => 'score-jsonl'));
    expect(new Set(listed.map((entry) => entry.id))).toEqual(new Set(local.keys()));
  }, 120_000);

  it('SGLang, a server per model named by its path (the tokenizer found from it): equal to the local engine', async () => {
    const policy = await startFakeSglang({ modelPath: POLICY_DIR, model: served(oracles.policy) });
    const reference = await startFakeSglang({ modelPath: REFERENCE_DIR, model: served(oracles.reference) });
    servers.push(policy, reference);
    const out = join(work, 'sglang.jsonl');
    const result = await runCli(['score', '--engine', 'sglang', '--policy-url', policy.url, '--reference-url', reference.url, '--render', 'chat', '--out', out, episodes]);
    expect(result.status, result.stderr).toBe(0);
    expectLocalFigures(await readFile(out, 'utf8'));
  }, 120_000);

  it('replicas that drop connections, answer 503 and malformed JSON: retried elsewhere, nothing lost', async () => {
    const dropping = await vllm({ faults: { drop: 3 } });
    const unavailable = await vllm({ faults: { unavailable: 3 } });
    const malformed = await vllm({ faults: { malformed: 2 } });
    const out = join(work, 'faults.jsonl');
    const result = await serverScore({ policy: `${dropping.url},${unavailable.url}`, reference: `${malformed.url},${unavailable.url}` }, out, ['--concurrency', '2']);
    expect(result.status, result.stderr).toBe(0);
    expectLocalFigures(await readFile(out, 'utf8'));
    expect(result.stderr).toMatch(/the connection was dropped; retry/);
    expect(result.stderr).toMatch(/answered 503/);
    expect(result.stderr).toMatch(/malformed JSON/);
  }, 120_000);

  it('a slow replica times out and the other finishes the job', async () => {
    const slow = await vllm({ faults: { delayMs: 4000 } });
    const fast = await vllm();
    const out = join(work, 'slow.jsonl');
    const result = await serverScore({ policy: `${slow.url},${fast.url}`, reference: fast.url }, out, ['--timeout', '1']);
    expect(result.status, result.stderr).toBe(0);
    expectLocalFigures(await readFile(out, 'utf8'));
    expect(result.stderr).toMatch(/no answer within 1 s/);
  }, 120_000);

  it('a replica that dies mid-job: the other finishes it', async () => {
    const dying = await vllm({ faults: { dieAfter: 4 } });
    const steady = await vllm();
    const out = join(work, 'dies.jsonl');
    const result = await serverScore({ policy: `${dying.url},${steady.url}`, reference: `${dying.url},${steady.url}` }, out);
    expect(result.status, result.stderr).toBe(0);
    expect(dying.listening).toBe(false);
    expectLocalFigures(await readFile(out, 'utf8'));
  }, 120_000);

  it('the only server dies mid-job: exit 1 with what failed; --resume after a restart scores only the rest', async () => {
    const server = await vllm({ faults: { dieAfter: 8 } });
    const out = join(work, 'resume.jsonl');
    const first = await serverScore({ policy: server.url, reference: server.url }, out, ['--retries', '1', '--concurrency', '1']);
    expect(first.status).toBe(1);
    expect(first.stderr).toMatch(/failed: .*gave up after 2 attempts: .*connection refused/);
    expect(first.stderr).toMatch(/run the same command with --resume/);
    const written = (await readFile(out, 'utf8')).trim().split('\n');
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(COUNT);
    // The job was killed while writing a line: a partial line at the end.
    await appendFile(out, written[0].slice(0, 40));
    server.faults = { ...server.faults, dieAfter: null };
    await server.restart();
    const before = server.counts.answered;
    const second = await serverScore({ policy: server.url, reference: server.url }, out, ['--resume']);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/dropped an incomplete last line/);
    expect(second.stderr).toMatch(new RegExp(`${written.length} of ${COUNT} trajectories already in`));
    // Two requests (policy, reference) per trajectory not yet scored, none for the others.
    expect(server.counts.answered - before).toBe(2 * (COUNT - written.length));
    expectLocalFigures(await readFile(out, 'utf8'));
  }, 120_000);

  it('a prompt over the context: vLLM\'s 400 text with what to change, never retried; the rest is scored', async () => {
    // The server enforces a context of 48 but advertises 128 (e.g. a misconfigured replica).
    const server = await vllm({ reference: { maxModelLen: 48, advertisedMaxModelLen: 128 } });
    const out = join(work, 'context.jsonl');
    const result = await serverScore({ policy: server.url, reference: server.url }, out, ['--retries', '3']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/answered 400: You passed \d+ input tokens and requested 1 output tokens\. However, the model's context length is only 48 tokens, resulting in a maximum input length of 47 tokens\. Please reduce the length of the input prompt\. \(parameter=input_tokens, value=\d+\) \(the sequence is longer than the server's context: serve the model with a larger --max-model-len/);
    expect(result.stderr).not.toMatch(/retry/);
    const failed = (result.stderr.match(/^score: failed: /gm) ?? []).length;
    expect(failed).toBeGreaterThan(0);
    expect((await readFile(out, 'utf8')).trim().split('\n').filter(Boolean).length).toBe(COUNT - failed);
  }, 120_000);

  it('SGLang: the limit read from the server (its KV pool below the context) leaves the steps beyond it unscored, named, without a request over it', async () => {
    // max_req_input_len = min(128 − 1, 54 − 1) − 5 = 48: prompts up to 47 tokens, sequences scored up to token 46.
    const policy = await startFakeSglang({ modelPath: POLICY_DIR, model: served(oracles.policy) });
    const reference = await startFakeSglang({ modelPath: REFERENCE_DIR, model: served(oracles.reference), kvPoolTokens: 54 });
    servers.push(policy, reference);
    const out = join(work, 'sglang-limit.jsonl');
    const result = await runCli(['score', '--engine', 'sglang', '--policy-url', policy.url, '--reference-url', reference.url, '--render', 'chat', '--out', out, episodes]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/reference: SGLang .* context 128 tokens \(sequences up to 47\)/);
    expect(result.stderr).toMatch(/not scored: .*#\d+ ".+": message \d+ \(context-limit, reference\): message \d+ ends at token \d+: scoring it needs \d+ tokens of context, but the reference model \(sglang\/.+\) takes 46/);
    expect(reference.answeredPrompts.every((prompt) => prompt.length <= 47)).toBe(true);
    expect(reference.counts.received).toBe(reference.counts.answered);
    expect(records(await readFile(out, 'utf8')).size).toBe(COUNT);
  }, 120_000);

  it("SGLang, a prompt over what the server enforces but does not say: its 400 with the trajectory and what to change, never retried; the rest is scored", async () => {
    // No /get_server_info (a proxy forwarding the model routes only): the client knows the context (128), the scheduler refuses prompts of 48 or more.
    const policy = await startFakeSglang({ modelPath: POLICY_DIR, model: served(oracles.policy) });
    const reference = await startFakeSglang({ modelPath: REFERENCE_DIR, model: served(oracles.reference), kvPoolTokens: 54, advertisedMaxReqInputLen: null });
    servers.push(policy, reference);
    const out = join(work, 'sglang-context.jsonl');
    const result = await runCli(['score', '--engine', 'sglang', '--policy-url', policy.url, '--reference-url', reference.url, '--render', 'chat', '--retries', '3', '--out', out, episodes]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /error: \S+episodes\.jsonl#\d+ ".+": http:\/\/127\.0\.0\.1:\d+\/generate answered 400: Input length \(\d+ tokens\) exceeds the maximum allowed length \(48 tokens\)\. Use a shorter input or enable --allow-auto-truncate\. \(the sequence is longer than the server takes \(its context or KV cache pool\): serve the model with more KV cache memory \(--mem-fraction-static\) or a larger --context-length, or score with --context-policy reference --context-tokens N\)/,
    );
    expect(result.stderr).not.toMatch(/retry/);
    const failed = (result.stderr.match(/^score: failed: /gm) ?? []).length;
    expect(failed).toBeGreaterThan(0);
    expect(reference.counts.received - reference.counts.answered).toBe(failed);
    expect((await readFile(out, 'utf8')).trim().split('\n').filter(Boolean).length).toBe(COUNT - failed);
    expect(result.stderr).toMatch(new RegExp(`${COUNT - failed} scored, 0 skipped \\(already in the output\\), ${failed} failed of ${COUNT} trajectories`));
  }, 120_000);

  it('prompt_logprobs above the server cap: reported with what to change; --top-logprobs 0 scores without the top-20 mean', async () => {
    const server = await vllm({ maxLogprobs: 5 });
    const out = join(work, 'cap.jsonl');
    const refused = await serverScore({ policy: server.url, reference: server.url }, out);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/Requested prompt logprobs of 20, which is greater than max allowed: 5 \(parameter=prompt_logprobs, value=20\) \(.*--max-logprobs 20.*--top-logprobs 0/);
    expect(server.counts.received).toBe(COUNT); // one policy request per trajectory, none retried
    const result = await serverScore({ policy: server.url, reference: server.url }, out, ['--top-logprobs', '0']);
    expect(result.status, result.stderr).toBe(0);
    const text = await readFile(out, 'utf8');
    expectLocalFigures(text);
    expect(text).not.toMatch(/topkMean/);
  }, 120_000);

  it('an unknown model name and an unreachable server: exit 1 with the reason', async () => {
    const server = await vllm();
    const unknown = await runCli(['score', '--engine', 'vllm', '--policy-url', server.url, '--reference-url', server.url, '--policy-model', 'nope', ...TOKENIZERS, episodes]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/does not serve "nope"; it serves "demo-policy", "demo-reference"/);
    await server.close();
    const unreachable = await serverScore({ policy: server.url, reference: server.url }, join(work, 'x.jsonl'));
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the vLLM server at http:\/\/127\.0\.0\.1:\d+: .*connection refused/);
  }, 60_000);

  it('a bad line in an input file: named with its file and line, every good trajectory still scored, exit 1', async () => {
    const server = await vllm();
    const broken = join(work, 'broken.jsonl');
    const lines = (await readFile(episodes, 'utf8')).trim().split('\n');
    await writeFile(broken, `${lines[0]}\n{"messages": [\n${lines[1]}\n`);
    const out = join(work, 'broken-out.jsonl');
    const withBroken = await runCli(['score', '--engine', 'vllm', '--policy-url', server.url, '--reference-url', server.url, '--policy-model', 'demo-policy', '--reference-model', 'demo-reference', ...TOKENIZERS, '--render', 'chat', '--out', out, broken]);
    expect(withBroken.status).toBe(1);
    expect(withBroken.stderr).toMatch(/error: \S+broken\.jsonl:2:15: invalid JSON: unexpected end of input/);
    expect(withBroken.stderr).toMatch(/2 scored, 0 skipped \(already in the output\), 0 failed of 2 trajectories/);
    expect(records(await readFile(out, 'utf8')).size).toBe(2);
  }, 120_000);

  it('usage errors: exit 2', async () => {
    const noUrl = await runCli(['score', '--engine', 'vllm', '--policy-url', 'http://127.0.0.1:1', episodes]);
    expect(noUrl.status).toBe(2);
    expect(noUrl.stderr).toMatch(/missing --reference-url/);
    const resume = await runCli(['score', '--engine', 'sglang', '--policy-url', 'http://a', '--reference-url', 'http://b', '--resume', episodes]);
    expect(resume.stderr).toMatch(/--resume needs --out FILE/);
    expect(resume.status).toBe(2);
    expect(resolve(episodes)).toBe(episodes);
  });
});
