/**
 * `score --engine vllm|sglang` on the realformat pairs (../shared/models/realformat: Qwen3 and
 * Llama 3 with their real vocabularies, tokenizers and chat templates): the CLI's commands, run in
 * this process (score-server.test.ts spawns the CLI itself; here the child's start-up would be most
 * of the time), against servers that speak vLLM's and SGLang's wire formats and answer with the
 * product's own ONNX engine on the same pair (fp32, tools/logprob-oracle.ts). In plain and chat
 * render modes, every record equals the local engine's (`score --policy … --reference …`) within
 * 1e-5 — token ids, policy and reference log-probs, the top-20 mean — and `eval` reads the file and
 * gives the local file's figures. With two tokenizers (Qwen3 policy, Llama 3 reference) the server
 * run scores at step level, each side in its own tokens, as the local run does. The trajectories
 * are the pack's τ² simulations cut to their first messages (a tool call and its result included),
 * so the run stays short.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScoreJsonl, type ScoreRecord } from '../../../../src/core/scores/format';
import { engineOracle, type LogprobOracle } from '../../../../tools/logprob-oracle';
import { startFakeVllm } from '../../../../tools/fake-vllm';
import { startFakeSglang } from '../../../../tools/fake-sglang';
import type { FakeServer } from '../../../../tools/fake-inference-server';
import { REALFORMAT_ROOT, realformatAvailable, type RealformatArch } from '../../../../tools/realformat';
import { run as scoreCommand } from '../../../../src/cli/commands/score';
import { run as evalCommand } from '../../../../src/cli/commands/eval';
import { ROOT, maxAbsDifference, type CliResult } from './score-helpers';

/** `score …` or `eval …` as the CLI runs them, in this process, with what they write to stdout and stderr. */
async function runCli([command, ...argv]: string[]): Promise<CliResult> {
  const written = { stdout: '', stderr: '' };
  const capture = (stream: 'stdout' | 'stderr') =>
    vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
      written[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    });
  const spies = [capture('stdout'), capture('stderr')];
  try {
    const status = await (command === 'score' ? scoreCommand : evalCommand)(argv);
    return { status, ...written };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

const TAU2 = join(ROOT, '../shared/fixtures/trajectories/tau2_bench/airline_grok-3_4tasks_x4trials.json');
/** Simulations kept and how many of their first messages: the first has a tool call and its result. */
const SIMULATIONS: [index: number, messages: number][] = [
  [5, 8],
  [6, 4],
];
const CONTEXT = 40960;

function records(text: string): Map<string, ScoreRecord> {
  const parsed = parseScoreJsonl(text, 'out.jsonl');
  expect(parsed.errors).toEqual([]);
  return new Map(parsed.records.map(({ record }) => [record.id, record]));
}

/** Every record of the server run equals the local run's within 1e-5 (servers give no entropy). */
function expectLocalFigures(server: Map<string, ScoreRecord>, local: Map<string, ScoreRecord>) {
  expect([...server.keys()].sort()).toEqual([...local.keys()].sort());
  let compared = 0;
  for (const [id, record] of server) {
    const expected = local.get(id)!;
    expect(record.steps.map((step) => step.message)).toEqual(expected.steps.map((step) => step.message));
    record.steps.forEach((step, index) => {
      const want = expected.steps[index];
      expect(step.tokenIds).toEqual(want.tokenIds);
      expect(maxAbsDifference(step.policy, want.policy), `${id} step ${step.message} policy`).toBeLessThan(1e-5);
      expect(maxAbsDifference(step.reference, want.reference), `${id} step ${step.message} reference`).toBeLessThan(1e-5);
      expect(step.topkMean, `${id} step ${step.message} top-20 mean`).toBeDefined();
      expect(maxAbsDifference(step.topkMean!, want.topkMean!)).toBeLessThan(1e-5);
      expect(step.entropy).toBeUndefined();
      compared += step.policy.length;
    });
  }
  return compared;
}

/** The numbers of two `eval --json` outputs agree within `tolerance`; everything else is equal. */
function expectSameEvaluation(actual: unknown, expected: unknown, tolerance: number, path = 'eval'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isNaN(expected)) expect(actual, path).toBeNaN();
    else expect(Math.abs(actual - expected), path).toBeLessThanOrEqual(tolerance);
  } else if (Array.isArray(expected) && Array.isArray(actual)) {
    expect(actual.length, path).toBe(expected.length);
    expected.forEach((value, index) => expectSameEvaluation(actual[index], value, tolerance, `${path}[${index}]`));
  } else if (typeof expected === 'object' && expected !== null && typeof actual === 'object' && actual !== null) {
    expect(Object.keys(actual).sort(), path).toEqual(Object.keys(expected).sort());
    for (const key of Object.keys(expected)) expectSameEvaluation((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], tolerance, `${path}.${key}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

/**
 * An `eval --json` output without what depends on the order of a file's lines: a server run writes
 * trajectories as they finish. Each `line` key is dropped and lists of trajectories or tasks are
 * sorted by task and id.
 */
function orderFree(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(orderFree);
    const key = (item: unknown) => (typeof item === 'object' && item !== null ? `${String((item as Record<string, unknown>).taskId ?? '')}\u0000${String((item as Record<string, unknown>).id ?? '')}` : null);
    return items.every((item) => key(item) !== null && key(item) !== '\u0000') ? [...items].sort((a, b) => key(a)!.localeCompare(key(b)!)) : items;
  }
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).filter(([name]) => name !== 'line').map(([name, item]) => [name, orderFree(item)]));
  return value;
}

let work: string;
let episodes: string;

beforeAll(async () => {
  if (!realformatAvailable) return;
  work = await mkdtemp(join(tmpdir(), 'score-server-realformat-'));
  episodes = join(work, 'tau2-short.json');
  const file = JSON.parse(await readFile(TAU2, 'utf8')) as { simulations: { messages: unknown[] }[] };
  const simulations = SIMULATIONS.map(([index, messages]) => ({ ...file.simulations[index], messages: file.simulations[index].messages.slice(0, messages) }));
  await writeFile(episodes, JSON.stringify({ ...file, simulations }));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe.skipIf(!realformatAvailable).each(['qwen3', 'llama3'] as RealformatArch[])('score --engine vllm | sglang on the realformat %s pair', (arch) => {
  const folder = (side: 'policy' | 'reference') => join(REALFORMAT_ROOT, `${arch}-${side}`);
  let oracles: { policy: LogprobOracle & { dispose(): Promise<void> }; reference: LogprobOracle & { dispose(): Promise<void> } };
  let vllm: FakeServer;
  let sglang: { policy: FakeServer; reference: FakeServer };

  beforeAll(async () => {
    oracles = { policy: await engineOracle(REALFORMAT_ROOT, `${arch}-policy`), reference: await engineOracle(REALFORMAT_ROOT, `${arch}-reference`) };
    vllm = await startFakeVllm({ models: { [`${arch}-policy`]: { oracle: oracles.policy, maxModelLen: CONTEXT }, [`${arch}-reference`]: { oracle: oracles.reference, maxModelLen: CONTEXT } } });
    // SGLang serves one model each, named by its path: the tokenizer is found from it.
    sglang = {
      policy: await startFakeSglang({ modelPath: folder('policy'), model: { oracle: oracles.policy, maxModelLen: CONTEXT } }),
      reference: await startFakeSglang({ modelPath: folder('reference'), model: { oracle: oracles.reference, maxModelLen: CONTEXT } }),
    };
  }, 120_000);

  afterAll(async () => {
    await Promise.all([vllm?.close(), sglang?.policy.close(), sglang?.reference.close()]);
    await Promise.all([oracles?.policy.dispose(), oracles?.reference.dispose()]);
  });

  for (const render of ['plain', 'chat'] as const) {
    it(`${render}: both servers' files equal the local engine's within 1e-5, and eval gives the same figures`, async () => {
      const out = (name: string) => join(work, `${arch}-${render}-${name}.jsonl`);
      const local = await runCli(['score', '--policy', folder('policy'), '--reference', folder('reference'), '--dtype', 'fp32', '--render', render, '--out', out('local'), '--quiet', episodes]);
      expect(local.status, local.stderr).toBe(0);
      const viaVllm = await runCli([
        'score', '--engine', 'vllm', '--policy-url', vllm.url, '--reference-url', vllm.url, '--policy-model', `${arch}-policy`, '--reference-model', `${arch}-reference`,
        '--policy-tokenizer', folder('policy'), '--reference-tokenizer', folder('reference'), '--render', render, '--out', out('vllm'), '--quiet', episodes,
      ]);
      expect(viaVllm.status, viaVllm.stderr).toBe(0);
      const viaSglang = await runCli(['score', '--engine', 'sglang', '--policy-url', sglang.policy.url, '--reference-url', sglang.reference.url, '--render', render, '--out', out('sglang'), '--quiet', episodes]);
      expect(viaSglang.status, viaSglang.stderr).toBe(0);

      const expected = records(await readFile(out('local'), 'utf8'));
      expect(expected.size).toBe(SIMULATIONS.length);
      for (const name of ['vllm', 'sglang']) {
        const text = await readFile(out(name), 'utf8');
        const scored = records(text);
        // Real trajectories: several assistant steps, a few hundred tokens compared per file.
        expect(expectLocalFigures(scored, expected)).toBeGreaterThan(100);
        const first = JSON.parse(text.split('\n')[0]) as { render: string; server: { engine: string }; engines: { policy: string } };
        expect(first.render).toBe(render);
        expect(first.server.engine).toBe(name);
        expect(first.engines.policy).toMatch(new RegExp(`^${name}/`));
      }
      // eval reads each file and, the entropy aside (servers give none), gives the local file's figures.
      const evaluations: CliResult[] = [];
      for (const name of ['local', 'vllm', 'sglang']) evaluations.push(await runCli(['eval', '--json', out(name)]));
      for (const evaluation of evaluations) expect(evaluation.status, evaluation.stderr).toBe(0);
      const [localEvaluation, ...serverEvaluations] = evaluations.map((evaluation) => orderFree(JSON.parse(evaluation.stdout)));
      expect((localEvaluation as { n: number }).n).toBe(SIMULATIONS.length);
      for (const evaluation of serverEvaluations) expectSameEvaluation(evaluation, localEvaluation, 1e-4);
    }, 180_000);
  }
});

describe.skipIf(!realformatAvailable)('score --engine vllm with two tokenizers (Qwen3 policy, Llama 3 reference)', () => {
  let oracles: { policy: LogprobOracle & { dispose(): Promise<void> }; reference: LogprobOracle & { dispose(): Promise<void> } };
  let vllm: FakeServer;

  beforeAll(async () => {
    oracles = { policy: await engineOracle(REALFORMAT_ROOT, 'qwen3-policy'), reference: await engineOracle(REALFORMAT_ROOT, 'llama3-reference') };
    vllm = await startFakeVllm({ models: { 'qwen3-policy': { oracle: oracles.policy, maxModelLen: CONTEXT }, 'llama3-reference': { oracle: oracles.reference, maxModelLen: CONTEXT } } });
  }, 120_000);

  afterAll(async () => {
    await vllm?.close();
    await Promise.all([oracles?.policy.dispose(), oracles?.reference.dispose()]);
  });

  it('scores at step level, each side in its own tokens, as the local engine does (within 1e-5)', async () => {
    const folders = { policy: join(REALFORMAT_ROOT, 'qwen3-policy'), reference: join(REALFORMAT_ROOT, 'llama3-reference') };
    const out = (name: string) => join(work, `cross-${name}.jsonl`);
    const local = await runCli(['score', '--policy', folders.policy, '--reference', folders.reference, '--render', 'plain', '--out', out('local'), '--quiet', episodes]);
    expect(local.status, local.stderr).toBe(0);
    const viaVllm = await runCli([
      'score', '--engine', 'vllm', '--policy-url', vllm.url, '--reference-url', vllm.url, '--policy-model', 'qwen3-policy', '--reference-model', 'llama3-reference',
      '--policy-tokenizer', folders.policy, '--reference-tokenizer', folders.reference, '--render', 'plain', '--out', out('vllm'), '--quiet', episodes,
    ]);
    expect(viaVllm.status, viaVllm.stderr).toBe(0);
    const expected = records(await readFile(out('local'), 'utf8'));
    const scored = records(await readFile(out('vllm'), 'utf8'));
    for (const record of [...expected.values(), ...scored.values()]) expect((record as Record<string, unknown>).scoreLevel).toBe('step');
    expect([...scored.keys()].sort()).toEqual([...expected.keys()].sort());
    let differing = 0;
    for (const [id, record] of scored) {
      const want = expected.get(id)!;
      const counts = (record as Record<string, unknown>).stepTokenCounts as { message: number; policy: number; reference: number }[];
      expect(counts).toEqual((want as Record<string, unknown>).stepTokenCounts);
      differing += counts.filter((count) => count.policy !== count.reference).length;
      expect(record.steps.map((step) => step.message)).toEqual(want.steps.map((step) => step.message));
      record.steps.forEach((step, index) => {
        // One summed log-likelihood per step and side, over that side's own tokens.
        expect(step.policy).toHaveLength(1);
        expect(step.reference).toHaveLength(1);
        expect(Math.abs(step.policy[0] - want.steps[index].policy[0]), `${id} step ${step.message} policy`).toBeLessThan(1e-5 * counts[index].policy);
        expect(Math.abs(step.reference[0] - want.steps[index].reference[0]), `${id} step ${step.message} reference`).toBeLessThan(1e-5 * counts[index].reference);
      });
    }
    // The two tokenizations differ on real text.
    expect(differing).toBeGreaterThan(0);
  }, 180_000);
});
