/**
 * `score` says what ran (issue 15, item 5): on the real-format Qwen3 and Llama 3 pairs
 * (../shared/models/realformat) the text report, the `--json` events and each record's `execution`
 * key name, per model, the device, the dtype (and its ONNX file's engine description), where logits
 * were reduced, which LM-head rows ran, the KV-cache mode, the chunk size and every fallback with
 * its reason, and the three say the same thing. The chunk sizes are checked against the budgets
 * computed here from the vocabulary and the requested size.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeExecution as describeModelExecution, describeFallback as describeModelFallback } from '../../../../src/core/scoring/execution';
import type { EngineFallback, ModelExecution } from '../../../../src/core/scoring/records';
import { parseScoreJsonl, type ScoreRecord } from '../../../../src/core/scores/format';
import { runCli, runLimited, type CliResult } from './score-helpers';

const SHARED = resolve(__dirname, '../../../../../shared');
const REALFORMAT = join(SHARED, 'models/realformat');
const WHO_AND_WHEN = join(SHARED, 'fixtures/trajectories/who_and_when/Algorithm-Generated/1.json');
const INSPECT_LOG = resolve(__dirname, '../../../corpus/good/inspect-ai-log.json');

/** The CPU engine's logits budget per chunk (64 MiB of float32 rows), restated here rather than imported. */
const LOGITS_BUDGET_BYTES = 64 * 1024 * 1024;
const VOCABULARY = { qwen3: 151_936, llama3: 128_256 };

type Execution = NonNullable<NonNullable<ScoreRecord['execution']>['reference']>;
interface Event {
  type: string;
  text: string;
  side?: string;
  [key: string]: unknown;
}

/** The record's execution as the product types it (the schema reads words as strings). */
const describeExecution = (execution: Execution) => describeModelExecution(execution as ModelExecution);
const describeFallback = (fallback: Execution['fallbacks'][number]) => describeModelFallback(fallback as EngineFallback);

let work: string;
const runs = {} as Record<'qwen3Fp32Json' | 'qwen3Q8Text' | 'qwen3Q4Quiet' | 'llama3Json' | 'precomputedJson', CliResult & { out: string }>;

function pairArgs(arch: 'qwen3' | 'llama3'): string[] {
  return ['--policy', join(REALFORMAT, `${arch}-policy`), '--reference', join(REALFORMAT, `${arch}-reference`)];
}

async function recordsOf(out: string): Promise<ScoreRecord[]> {
  const parsed = parseScoreJsonl(await readFile(out, 'utf8'), out);
  expect(parsed.errors).toEqual([]);
  return parsed.records.map((entry) => entry.record);
}

function eventsOf(stderr: string): Event[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Event);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'score-execution-'));
  const tasks: [keyof typeof runs, string[]][] = [
    ['qwen3Fp32Json', ['--json', ...pairArgs('qwen3'), '--chunk', '100']],
    ['qwen3Q8Text', [...pairArgs('qwen3'), '--dtype', 'q8']],
    ['qwen3Q4Quiet', ['--quiet', ...pairArgs('qwen3'), '--dtype', 'q4']],
    ['llama3Json', ['--json', ...pairArgs('llama3'), '--chunk', '48']],
  ];
  const withOut = tasks.map(([name, args]) => [name, [...args, '--out', join(work, `${name}.jsonl`), WHO_AND_WHEN]] as const);
  const precomputed = ['--json', '--precomputed', '--reference', join(REALFORMAT, 'qwen3-reference'), '--out', join(work, 'precomputedJson.jsonl'), INSPECT_LOG];
  const all = [...withOut, ['precomputedJson', precomputed] as const];
  const results = await runLimited(
    all.map(([, args]) => () => runCli(['score', ...args])),
    2,
  );
  all.forEach(([name], index) => (runs[name] = { ...results[index], out: join(work, `${name}.jsonl`) }));
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** What every execution must hold, whatever the engine chose: the facts agree with each other and with the budgets. */
function checkExecution(execution: Execution, expected: { dtype: string; vocabulary: number; requestedChunk: number }): void {
  expect(execution.device).toBe('cpu');
  expect(execution.dtype).toBe(expected.dtype);
  expect(execution.description).toBe(`transformers.js/onnxruntime-node/cpu/${expected.dtype}`);
  expect(execution.logitsPlacement).toBe('cpu');
  expect(['model-graph', 'separate-session']).toContain(execution.reductionPlacement);
  expect(['scored-only', 'every-position']).toContain(execution.logitRows);
  expect(['append-only', 'present-outputs']).toContain(execution.kvCacheMode);
  expect(execution.chunkSize).toBeGreaterThanOrEqual(1);
  expect(execution.chunkSize).toBeLessThanOrEqual(expected.requestedChunk);
  // A full-vocabulary head at every position must fit the logits budget; a chunk that runs the full head is no longer than that.
  if (execution.logitRows === 'every-position') {
    expect(execution.chunkSize).toBeLessThanOrEqual(Math.floor(LOGITS_BUDGET_BYTES / (expected.vocabulary * 4)));
  }
  // Every departure from the fastest path is listed with its reason (docs/score.md, "What ran").
  if (execution.reductionPlacement === 'separate-session') expect(execution.fallbacks.map((f) => f.kind)).toContain('reduction');
  if (execution.logitRows === 'every-position') expect(execution.fallbacks.map((f) => f.kind)).toContain('head-cut');
  for (const fallback of execution.fallbacks) expect(fallback.reason.length).toBeGreaterThan(10);
}

describe('score: what ran, per model', () => {
  it('--json: one JSON object per line; each model, how it ran and each fallback, equal to the record’s execution key', async () => {
    const run = runs.qwen3Fp32Json;
    expect(run.stderr).not.toMatch(/^score:/m);
    expect(run.status).toBe(0);
    const events = eventsOf(run.stderr);
    const [record] = await recordsOf(run.out);
    for (const side of ['policy', 'reference'] as const) {
      const execution = record.execution![side]!;
      checkExecution(execution, { dtype: 'fp32', vocabulary: VOCABULARY.qwen3, requestedChunk: 100 });
      const model = events.find((e) => e.type === 'model' && e.side === side)!;
      expect(model).toMatchObject({ model: join(REALFORMAT, `qwen3-${side}`), id: `qwen3-${side}`, vocabSize: VOCABULARY.qwen3, maxContext: 40960 });
      const { type, side: eventSide, text, ...ran } = events.find((e) => e.type === 'execution' && e.side === side)!;
      expect([type, eventSide]).toEqual(['execution', side]);
      expect(ran).toEqual(execution);
      expect(text).toBe(`${side} ran on ${describeExecution(execution)}`);
      const fallbacks = events.filter((e) => e.type === 'fallback' && e.side === side).map(({ kind, reason }) => ({ kind, reason }));
      expect(fallbacks).toEqual(execution.fallbacks);
    }
    // fp32 at a requested 100 tokens: the head is cut to the scored rows on these tied-embedding graphs, so nothing shortens the chunk.
    expect(record.execution!.policy).toMatchObject({ reductionPlacement: 'model-graph', logitRows: 'scored-only', chunkSize: 100 });
    const trajectory = events.find((e) => e.type === 'trajectory')!;
    expect(trajectory).toMatchObject({ file: WHO_AND_WHEN, index: 0, id: record.id, outputId: record.id, tokens: 1155, actionSteps: 6 });
    const summary = events.find((e) => e.type === 'summary')!;
    expect(summary).toMatchObject({ trajectories: 1, scored: 1, failed: 0, scoreLevel: 'token', tokensForwarded: trajectory.forwardedTokens, out: run.out });
    expect(events.filter((e) => e.type === 'not-scored').map((e) => [e.message, e.reason])).toEqual([[0, 'first-token']]);
  });

  it('text: two lines per model (what it is, how it ran) and each fallback as a notice; the record says the same', async () => {
    const run = runs.qwen3Q8Text;
    expect(run.status).toBe(0);
    const [record] = await recordsOf(run.out);
    for (const side of ['policy', 'reference'] as const) {
      const execution = record.execution![side]!;
      checkExecution(execution, { dtype: 'q8', vocabulary: VOCABULARY.qwen3, requestedChunk: 512 });
      expect(run.stderr).toContain(`score: ${side}: ${join(REALFORMAT, `qwen3-${side}`)} (transformers.js/onnxruntime-node/cpu/q8, vocabulary 151936, context 40960, chunk ${execution.chunkSize})`);
      expect(run.stderr).toContain(`score: ${side} ran on ${describeExecution(execution)}\n`);
      for (const fallback of execution.fallbacks) expect(run.stderr).toContain(`score: notice: ${side} fallback, ${describeFallback(fallback)}\n`);
    }
    expect(describeExecution(record.execution!.policy!)).toMatch(/^CPU \(onnxruntime-node\), q8; logits reduced (inside the model graph|in a separate session, chunk by chunk); LM head run (on the scored rows only|at every forwarded position); KV cache (appended in place|handed back whole per chunk); \d+ tokens per chunk; (no fallback|\d+ fallbacks?)$/);
  });

  it('--quiet: progress left out, fallbacks still said; the record carries q4', async () => {
    const run = runs.qwen3Q4Quiet;
    expect(run.status).toBe(0);
    const [record] = await recordsOf(run.out);
    const fallbackLines = (['policy', 'reference'] as const).flatMap((side) => record.execution![side]!.fallbacks.map((f) => `score: notice: ${side} fallback, ${describeFallback(f)}\n`));
    // Only the first-token notice and the fallbacks remain.
    expect(run.stderr).toBe(`${fallbackLines.join('')}score: not scored: [1/1] ${WHO_AND_WHEN}#0 "${record.id}": message 0 (first-token, both): message 0 starts the rendered sequence; its first token has no context and is left out\n`);
    for (const side of ['policy', 'reference'] as const) checkExecution(record.execution![side]!, { dtype: 'q4', vocabulary: VOCABULARY.qwen3, requestedChunk: 512 });
  });

  it('Llama 3: its own vocabulary and context, the requested chunk', async () => {
    const run = runs.llama3Json;
    expect(run.status).toBe(0);
    const events = eventsOf(run.stderr);
    const [record] = await recordsOf(run.out);
    for (const side of ['policy', 'reference'] as const) checkExecution(record.execution![side]!, { dtype: 'fp32', vocabulary: VOCABULARY.llama3, requestedChunk: 48 });
    expect(record.execution!.reference).toMatchObject({ logitRows: 'scored-only', chunkSize: 48 });
    expect(events.find((e) => e.type === 'model' && e.side === 'reference')).toMatchObject({ vocabSize: VOCABULARY.llama3, maxContext: 131072 });
    expect(events.find((e) => e.type === 'trajectory')).toMatchObject({ tokens: 1127 });
  });

  it('precomputed policy: execution.policy is null, the model event says so', async () => {
    const run = runs.precomputedJson;
    const events = eventsOf(run.stderr);
    const records = await recordsOf(run.out);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(record.execution!.policy).toBeNull();
      checkExecution(record.execution!.reference, { dtype: 'fp32', vocabulary: VOCABULARY.qwen3, requestedChunk: 512 });
    }
    expect(events.find((e) => e.type === 'model' && e.side === 'policy')).toEqual({ type: 'model', side: 'policy', model: 'precomputed', precomputed: true, text: 'policy: log-probs carried by the files (precomputed)' });
    expect(events.filter((e) => e.type === 'notice').map((e) => e.text)).toContainEqual(expect.stringMatching(/^notice: the policy log-probs come from the files/));
  });
});
