/**
 * `score --reference-merge ALPHA` on the demo pair: the records' reference log-probs equal those
 * of `score --reference FOLDER` where FOLDER holds a merge computed independently
 * (test/unit/core/onnx/independent-merge.ts) within 1e-4; α = 1 gives A ≡ 0 and α = 0 the plain
 * reference; every record names the merge; quantized files and bad α are refused; the temporary
 * model folder is removed.
 */
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runScoreCommand } from '../../../../src/cli/commands/score';
import { parseScoreJsonl, type ScoreRecord } from '../../../../src/core/scores/format';
import { independentMerge } from '../../core/onnx/independent-merge';
import { ROOT, maxAbsDifference, type CliResult } from './score-helpers';

const MODELS = join(ROOT, 'public/models');
const POLICY = join(MODELS, 'demo-policy');
const REFERENCE = join(MODELS, 'demo-reference');
let work: string;
let episodes: string;
let scratch: string;
const previousTmp = process.env.TMPDIR;

/** `score` run in this process (a child process costs seconds of start-up on a shared machine), its output captured. */
async function runCli([, ...args]: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { status: await runScoreCommand(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

async function records(path: string): Promise<ScoreRecord[]> {
  const parsed = parseScoreJsonl(await readFile(path, 'utf8'), path);
  expect(parsed.errors).toEqual([]);
  return parsed.records.map((entry) => entry.record);
}

const score = (out: string, ...extra: string[]) => runCli(['score', '--policy', POLICY, '--render', 'chat', '--quiet', '--out', join(work, out), ...extra, episodes]);

function column(list: readonly ScoreRecord[], side: 'policy' | 'reference'): number[] {
  return list.flatMap((record) => record.steps.flatMap((step) => step[side]));
}

let results: CliResult[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'score-merge-'));
  // The merged models' temporary folders go here (os.tmpdir() reads TMPDIR), to check that they are removed.
  scratch = join(work, 'tmp');
  await cp(REFERENCE, join(work, 'independent'), { recursive: true });
  await writeFile(join(work, 'independent/onnx/model.onnx'), independentMerge(await readFile(join(REFERENCE, 'onnx/model.onnx')), await readFile(join(POLICY, 'onnx/model.onnx')), 0.3));
  episodes = join(work, 'episodes.jsonl');
  const lines = (await readFile(join(ROOT, 'public/examples/demo-episodes.jsonl'), 'utf8')).trim().split('\n').slice(0, 8);
  await writeFile(episodes, `${lines.join('\n')}\n`);
  await import('node:fs/promises').then((fs) => fs.mkdir(scratch));
  process.env.TMPDIR = scratch;
  results = [];
  for (const run of [
    () => score('merged.jsonl', '--reference', REFERENCE, '--reference-merge', '0.3'),
    () => score('independent.jsonl', '--reference', join(work, 'independent')),
    () => score('one.jsonl', '--reference', REFERENCE, '--reference-merge', '1'),
    () => score('zero.jsonl', '--reference', REFERENCE, '--reference-merge', '0'),
    () => score('plain.jsonl', '--reference', REFERENCE),
  ]) {
    results.push(await run());
  }
}, 240_000);

afterAll(async () => {
  if (previousTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmp;
  await rm(work, { recursive: true, force: true });
});

describe('score --reference-merge', () => {
  it('runs and removes its temporary model folder', async () => {
    for (const result of results) expect(result.stderr).not.toMatch(/error/i);
    expect(results.map((result) => result.status)).toEqual([0, 0, 0, 0, 0]);
    expect((await readdir(scratch)).filter((name) => name.startsWith('progress-advantage-merge-'))).toEqual([]);
  });

  it('scores the reference as the independently merged model within 1e-4 (the policy unchanged)', async () => {
    const merged = await records(join(work, 'merged.jsonl'));
    const independent = await records(join(work, 'independent.jsonl'));
    expect(merged.map((record) => record.id)).toEqual(independent.map((record) => record.id));
    const mergedReference = column(merged, 'reference');
    expect(mergedReference.length).toBeGreaterThan(20);
    expect(mergedReference.length).toBe(column(independent, 'reference').length);
    expect(maxAbsDifference(mergedReference, column(independent, 'reference'))).toBeLessThan(1e-4);
    expect(column(merged, 'policy')).toEqual(column(independent, 'policy'));
    // Neither end: the merged reference is neither the reference nor the policy.
    const plain = await records(join(work, 'plain.jsonl'));
    expect(maxAbsDifference(mergedReference, column(plain, 'reference'))).toBeGreaterThan(1e-3);
    expect(maxAbsDifference(mergedReference, column(plain, 'policy'))).toBeGreaterThan(1e-3);
  });

  it('α = 1 is the policy (A ≡ 0) and α = 0 the reference', async () => {
    const one = await records(join(work, 'one.jsonl'));
    expect(column(one, 'reference')).toEqual(column(one, 'policy'));
    const zero = await records(join(work, 'zero.jsonl'));
    const plain = await records(join(work, 'plain.jsonl'));
    expect(column(zero, 'reference')).toEqual(column(plain, 'reference'));
  });

  it('names the merge in every record: α and both sources', async () => {
    const merged = await records(join(work, 'merged.jsonl'));
    for (const record of merged) {
      expect(record.referenceMerge).toEqual({ method: 'linear', alpha: 0.3, reference: REFERENCE, policy: POLICY });
      expect(record.referenceModel).toBe(`${REFERENCE} merged with ${POLICY} (α = 0.3: π_ref + α·(π_θ − π_ref), linear, in weight space)`);
    }
    expect((await records(join(work, 'plain.jsonl')))[0].referenceMerge).toBeUndefined();
  });

  it('--merge-method ties: the records name it and its density; the reference lies between', async () => {
    const result = await score('ties.jsonl', '--reference', REFERENCE, '--reference-merge', '0.3', '--merge-method', 'ties', '--merge-density', '0.25');
    expect(result.status).toBe(0);
    const ties = await records(join(work, 'ties.jsonl'));
    expect(ties[0].referenceMerge).toEqual({ method: 'ties', alpha: 0.3, density: 0.25, reference: REFERENCE, policy: POLICY });
    expect(ties[0].referenceModel).toBe(`${REFERENCE} merged with ${POLICY} (α = 0.3: π_ref + α·TIES(π_θ − π_ref) keeping the largest 0.25 of each tensor's task vector, in weight space)`);
    const linear = column(await records(join(work, 'merged.jsonl')), 'reference');
    expect(maxAbsDifference(column(ties, 'reference'), linear)).toBeGreaterThan(1e-3);
  });

  it('refuses quantized files, α outside [0, 1] and --precomputed', async () => {
    const quantized = await score('q8.jsonl', '--reference', REFERENCE, '--reference-merge', '0.5', '--dtype', 'q8');
    expect(quantized.status).toBe(1);
    expect(quantized.stderr).toContain(`score: error: reference onnx/model_quantized.onnx (folder ${REFERENCE}) is quantized (node DequantizeLinear`);
    expect(quantized.stderr).toContain('quantized weights cannot be merged exactly');
    expect((await readdir(scratch)).filter((name) => name.startsWith('progress-advantage-merge-'))).toEqual([]);
    const tooBig = await runCli(['score', '--policy', POLICY, '--reference', REFERENCE, '--reference-merge', '1.5', episodes]);
    expect(tooBig.status).toBe(2);
    expect(tooBig.stderr).toContain("score: --reference-merge: expected a number from 0 to 1 (the weight of the policy in the merged reference), got '1.5'");
    const precomputed = await runCli(['score', '--precomputed', '--reference', REFERENCE, '--reference-merge', '0.5', episodes]);
    expect(precomputed.status).toBe(2);
    expect(precomputed.stderr).toContain('score: --reference-merge merges two ONNX models; it does not apply to --precomputed');
    const density = await runCli(['score', '--policy', POLICY, '--reference', REFERENCE, '--reference-merge', '0.5', '--merge-density', '0.5', episodes]);
    expect(density.status).toBe(2);
    expect(density.stderr).toContain('score: --merge-density applies to --merge-method ties only');
    const method = await runCli(['score', '--policy', POLICY, '--reference', REFERENCE, '--merge-method', 'ties', episodes]);
    expect(method.status).toBe(2);
    expect(method.stderr).toContain('score: --merge-method and --merge-density apply with --reference-merge only');
  }, 60_000);
});
