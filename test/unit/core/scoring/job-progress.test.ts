/**
 * The progress line's token count (issue 14, item 12): its total is fixed when the job starts and
 * done counts up to it, whatever prefix reuse and the last scored token spare the models (it once
 * read `9,598/362,446` then `108,482/108,482`). Checked against the tokens each result says its
 * rendered sequence holds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress, ScoredTrajectory } from '../../../../src/core/scoring';
import { parseTrajectoryText } from '../../../../src/core/trajectory/ingest';
import type { Trajectory } from '../../../../src/core/trajectory/types';
import { renderPlainTexts } from '../../../../src/core/render';
import { wordLevelVocabularyFromTexts } from '../../../../lab/model-builder';
import { writeModelFolder } from '../../cli/commands/score-helpers';
import { inProcessScoringService } from './in-process-service';

const system = { role: 'system', content: 'You are a careful support agent. Use the tools when needed. Always check the order before you answer.' };
/** Best-of-N attempts at one task: they share a long prefix (prefix reuse runs), and end with a user turn the models need not run. */
const RECORDS = Array.from({ length: 4 }, (_, i) => ({
  id: `attempt-${i}`,
  task_id: 'refund',
  messages: [
    system,
    { role: 'user', content: 'I want a refund for order 42, it arrived broken and the box was open.' },
    { role: 'assistant', content: i % 2 ? 'Refunds are not possible.' : 'Let me check order 42 first, then I will issue the refund.' },
    { role: 'user', content: `Thanks, attempt ${i}. Anything else you need from me before the refund goes through to my card?` },
  ],
}));

let work: string;
let trajectories: Trajectory[];
let folder = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'job-progress-'));
  const text = RECORDS.map((record) => JSON.stringify(record)).join('\n') + '\n';
  trajectories = parseTrajectoryText('attempts.jsonl', text).trajectories;
  const vocabulary = wordLevelVocabularyFromTexts(trajectories.flatMap(renderPlainTexts));
  folder = await writeModelFolder(work, { name: 'model', vocabulary, contextLength: 1024, embeddingDim: 16, headCount: 2, seed: 5 });
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('scoring job progress', () => {
  it('has one token total from the first report to the last, and done counts up to it', async () => {
    const service = inProcessScoringService();
    await service.loadPair({ policy: { kind: 'hub', id: folder }, reference: { kind: 'hub', id: folder }, dtype: 'fp32', device: 'auto' });
    const progress: JobProgress[] = [];
    const results: ScoredTrajectory[] = [];
    const outcome = await service.score(
      await service.newJobId(),
      trajectories.map((trajectory, index) => ({ key: String(index), trajectory })),
      'plain',
      { onProgress: (p) => progress.push(p), onResult: (r) => results.push(r), onError: (key, message) => expect.fail(`${key}: ${message}`) },
    );
    await service.unload();
    expect(outcome).toEqual({ cancelled: false });
    expect(results).toHaveLength(RECORDS.length);

    const rendered = results.reduce((sum, r) => sum + r.tokens, 0);
    const forwarded = results.reduce((sum, r) => sum + r.forwardedTokens, 0);
    // The models ran fewer tokens than twice the sequences (shared prefixes, the closing user turns): the old total's jump.
    expect(forwarded).toBeLessThan(2 * rendered);
    expect(progress.length).toBeGreaterThan(1);
    expect(new Set(progress.map((p) => p.tokensTotal))).toEqual(new Set([rendered]));
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i].tokensDone).toBeGreaterThanOrEqual(progress[i - 1].tokensDone);
      expect(progress[i].trajectoriesDone).toBeGreaterThanOrEqual(progress[i - 1].trajectoriesDone);
    }
    expect(progress[0]).toMatchObject({ tokensDone: 0, trajectoriesDone: 0 });
    expect(progress.at(-1)).toMatchObject({ tokensDone: rendered, tokensTotal: rendered, trajectoriesDone: RECORDS.length, trajectoriesTotal: RECORDS.length });
  }, 120_000);
});
