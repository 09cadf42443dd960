/**
 * `score --precomputed` on an ATIF trajectory: the per-step `metrics.logprobs` an ATIF file carries
 * are the policy side (src/core/trajectory/formats/atif.ts keeps them as Inspect AI's are kept),
 * scored at step level against a reference model; steps without log-probs are listed as such.
 * Expectations are worked out from the raw fixture.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScoreJsonl } from '../../../../src/core/scores/format';
import { runCli, writeModelFolder, type CliResult } from './score-helpers';

const FIXTURE = 'test/fixtures/formats/atif-v1.4-terminal-task.json';

interface RawStep {
  source: string;
  observation?: { results: unknown[] };
  metrics?: { logprobs?: number[] };
}

let work: string;
let run: CliResult;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'score-atif-'));
  const reference = await writeModelFolder(work, { vocabulary: ['user', 'assistant', 'Done', 'rows', '1', '2', '0', ':', '.'], contextLength: 1024, embeddingDim: 8, headCount: 2, name: 'reference', seed: 2 });
  run = await runCli(['score', '--precomputed', '--reference', reference, '--quiet', FIXTURE]);
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('score --precomputed on ATIF', () => {
  it("scores the agent step that carries log-probs from them (their sum, step level); the others are listed as holding none", async () => {
    const steps = (JSON.parse(await readFile(FIXTURE, 'utf8')) as { steps: RawStep[] }).steps;
    // Message index of each agent step: one message per step, one per observation result.
    const agentSteps: { message: number; logprobs?: number[] }[] = [];
    let message = 0;
    for (const step of steps) {
      if (step.source === 'agent') agentSteps.push({ message, logprobs: step.metrics?.logprobs });
      message += 1 + (step.observation?.results.length ?? 0);
    }
    const withLogprobs = agentSteps.filter((s) => s.logprobs);
    expect(withLogprobs).toHaveLength(1);

    expect(run.status).toBe(0);
    const [record] = parseScoreJsonl(run.stdout, 'out.jsonl').records.map((entry) => entry.record);
    expect(record).toMatchObject({ trajectoryFormat: 'atif', scoreLevel: 'step', engines: { policy: 'precomputed/atif' } });
    expect(record.steps.map((s) => s.message)).toEqual(agentSteps.map((s) => s.message));
    const scored = record.steps.find((s) => s.message === withLogprobs[0].message)!;
    const sum = withLogprobs[0].logprobs!.reduce((a, b) => a + Math.fround(b), 0);
    expect(scored.policy).toHaveLength(1);
    expect(Math.abs(scored.policy[0] - sum)).toBeLessThan(1e-6);
    expect(scored.reference).toHaveLength(1);
    const notScored = (record as unknown as { notScored: { message: number; reason: string; side: string }[] }).notScored;
    expect(notScored.map((n) => [n.message, n.reason, n.side])).toEqual(
      agentSteps.filter((s) => !s.logprobs).map((s) => [s.message, 'no-precomputed-logprobs', 'policy']),
    );
  });
});
