/**
 * One scoring path: the scoring worker's service (run in-process on the Node host) and the CLI's
 * `score` command give identical records for the same trajectories — a same-vocabulary pair
 * (token level) and a two-tokenizer pair (step level). The two-tokenizer pair's reference has a
 * short context, so some steps have a policy sum and no reference sum: both paths must write them
 * as `[] / []` listed in notScored (the worker used to write `[x] / []`, which made eval skip the
 * whole trajectory while the CLI scored it).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoredTrajectory } from '../../../../src/core/scoring';
import { parseScoreJsonl, type ScoreRecord } from '../../../../src/core/scores/format';
import { parseTrajectoryText } from '../../../../src/core/trajectory/ingest';
import type { Trajectory } from '../../../../src/core/trajectory/types';
import { renderPlainTexts } from '../../../../src/core/render';
import { wordLevelVocabularyFromTexts } from '../../../../lab/model-builder';
import { run as runScoreCommand } from '../../../../src/cli/commands/score';
import { writeModelFolder } from '../../cli/commands/score-helpers';
import { inProcessScoringService } from './in-process-service';

const FIXTURES = join(__dirname, '../../../../../shared/fixtures/trajectories');

const CHAT_RECORDS = [
  {
    id: 'refund-ok',
    task_id: 'refund',
    reward: 1,
    messages: [
      { role: 'system', content: 'You are a careful support agent. Use the tools when needed.' },
      { role: 'user', content: 'I want a refund for order 42.' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup_order', arguments: '{"order_id": 42}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '{"status": "delivered", "refundable": true}' },
      { role: 'assistant', content: 'The order is refundable; I have issued the refund.' },
      { role: 'user', content: 'Thanks, and can you confirm the amount?' },
      { role: 'assistant', content: 'The refund is for the full amount of the order, delivered to your card.' },
    ],
  },
  {
    id: 'refund-bad',
    task_id: 'refund',
    reward: 0,
    messages: [
      { role: 'system', content: 'You are a careful support agent. Use the tools when needed.' },
      { role: 'user', content: 'I want a refund for order 42.' },
      { role: 'assistant', content: 'Refunds are not possible.' },
      { role: 'user', content: 'Please check the order first.' },
      { role: 'assistant', content: 'I have checked and the order is not refundable, sorry.' },
    ],
  },
];

let work: string;
/** The chat file and a τ²-bench excerpt (real tool calls; two trials share a prefix, so prefix reuse runs). */
const files: string[] = [];
let trajectories: Trajectory[];
const folders = { policy: '', reference: '', referenceOtherVocabulary: '' };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'one-path-'));
  const tau2 = JSON.parse(await readFile(join(FIXTURES, 'tau2_bench/airline_grok-3_4tasks_x4trials.json'), 'utf8')) as { simulations: unknown[] };
  const chatText = CHAT_RECORDS.map((record) => JSON.stringify(record)).join('\n') + '\n';
  const chatFile = join(work, 'chat.jsonl');
  await writeFile(chatFile, chatText);
  const chatTrajectories = parseTrajectoryText(chatFile, chatText).trajectories;
  const tau2File = join(work, 'tau2.json');
  const tau2Text = JSON.stringify({ ...tau2, simulations: tau2.simulations.slice(0, 2) });
  await writeFile(tau2File, tau2Text);
  const tau2Trajectories = parseTrajectoryText(tau2File, tau2Text).trajectories;
  const vocabulary = wordLevelVocabularyFromTexts([...chatTrajectories, ...tau2Trajectories].flatMap(renderPlainTexts));
  folders.policy = await writeModelFolder(work, { name: 'policy', vocabulary, contextLength: 4096, embeddingDim: 32, headCount: 4, seed: 11 });
  folders.reference = await writeModelFolder(work, { name: 'reference', vocabulary, contextLength: 4096, embeddingDim: 24, headCount: 2, seed: 22 });
  // Other ids for the same pieces (two tokenizers), and a context that ends inside the first trajectory.
  folders.referenceOtherVocabulary = await writeModelFolder(work, {
    name: 'reference-other-vocabulary',
    vocabulary: [...vocabulary].reverse(),
    contextLength: 48,
    embeddingDim: 24,
    headCount: 2,
    seed: 22,
  });
  files.push(chatFile, tau2File);
  trajectories = [...chatTrajectories, ...tau2Trajectories];
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The worker's path: the scoring service in-process, models from the Node host, engines on the CPU. */
async function scoreThroughService(policy: string, reference: string): Promise<ScoredTrajectory[]> {
  const service = inProcessScoringService();
  await service.loadPair({ policy: { kind: 'hub', id: policy }, reference: { kind: 'hub', id: reference }, dtype: 'fp32', device: 'auto' });
  const results: ScoredTrajectory[] = [];
  const errors: string[] = [];
  const outcome = await service.score(
    await service.newJobId(),
    trajectories.map((trajectory, index) => ({ key: String(index), trajectory })),
    'plain',
    { onResult: (result) => results.push(result), onError: (key, message) => errors.push(`${key}: ${message}`) },
  );
  await service.unload();
  expect(errors).toEqual([]);
  expect(outcome).toEqual({ cancelled: false });
  return results;
}

/** The CLI's path: `score` in-process, its JSON Lines read back. */
async function scoreThroughCli(policy: string, reference: string, name: string): Promise<ScoreRecord[]> {
  const out = join(work, `${name}.jsonl`);
  const status = await runScoreCommand(['--policy', policy, '--reference', reference, '--quiet', '--out', out, ...files]);
  expect(status).toBe(0);
  const parsed = parseScoreJsonl(await readFile(out, 'utf8'), out);
  expect(parsed.errors).toEqual([]);
  return parsed.records.map((entry) => entry.record);
}

describe('one scoring path for the worker and the CLI', () => {
  it('same vocabulary: identical token-level records', async () => {
    const fromService = await scoreThroughService(folders.policy, folders.reference);
    const fromCli = await scoreThroughCli(folders.policy, folders.reference, 'token-level');
    expect(fromService).toHaveLength(trajectories.length);
    expect(fromCli).toHaveLength(trajectories.length);
    fromService.forEach((result, index) => {
      const line = fromCli[index];
      expect(result.stepLevelOnly).toBe(false);
      expect(line.scoreLevel).toBe('token');
      expect(line.steps).toEqual(result.record.steps);
      expect(line.notScored).toEqual(result.notScored);
      for (const key of ['taskId', 'reward', 'mistakeStep', 'mistakeAgent'] as const) expect(line[key]).toEqual(result.record[key]);
      expect(result.record.steps.some((step) => step.policy.length > 0)).toBe(true);
    });
  }, 180_000);

  it('two tokenizers: identical step-level records; a step with one side missing is [] / [] and listed', async () => {
    const fromService = await scoreThroughService(folders.policy, folders.referenceOtherVocabulary);
    const fromCli = await scoreThroughCli(folders.policy, folders.referenceOtherVocabulary, 'step-level');
    let oneSided = 0;
    fromService.forEach((result, index) => {
      const line = fromCli[index];
      expect(result.stepLevelOnly).toBe(true);
      expect(line.scoreLevel).toBe('step');
      expect(line.steps).toEqual(result.record.steps);
      expect(line.notScored).toEqual(result.notScored);
      expect(line.stepTokenCounts).toEqual(result.stepTokenCounts);
      for (const step of result.record.steps) {
        // Both sides or neither: never a policy sum without its reference.
        expect(step.policy.length).toBe(step.reference.length);
        const cut = result.notScored.find((entry) => entry.message === step.message && entry.side === 'reference' && entry.reason === 'context-limit');
        if (cut) {
          oneSided++;
          expect(step.policy).toEqual([]);
        }
      }
    });
    // The short reference context cuts steps the policy still scores.
    expect(oneSided).toBeGreaterThan(0);
  }, 180_000);
});
