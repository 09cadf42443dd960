import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../../../..');
const CORPUS = 'test/corpus/scores';

function evalCli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', 'eval', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function evalJson(...args: string[]) {
  const result = evalCli('--json', ...args);
  return { ...result, json: JSON.parse(result.stdout) };
}

/** The fenced block that follows `<!-- name -->` in a documentation page (docs/eval.md unless said). */
function documentedBlock(name: string, page = 'docs/eval.md'): string {
  const doc = readFileSync(resolve(ROOT, page), 'utf8');
  const match = new RegExp(`<!-- ${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (!match) throw new Error(`${page} has no block marked <!-- ${name} -->`);
  return match[1];
}

// The hand computations below follow the reference code, where t2-c's cut-off last step scores 0:
// `--unscored zero`. The default (`skip`) leaves it out; 'eval --unscored skip' below checks that.
describe('eval --json --unscored zero on the documented example', () => {
  const { status, stderr, json } = evalJson('--unscored', 'zero', `${CORPUS}/example.jsonl`);

  it('exits 0 with nothing on stderr', () => {
    expect(status).toBe(0);
    expect(stderr).toBe('');
  });

  it('scores each trajectory as computed by hand (difference, mean, mean, β = 1)', () => {
    expect(json.options).toEqual({ method: 'progress', tokenAgg: 'mean', stepAgg: 'mean', mode: 'difference', beta: 1, k: 1, unscored: 'zero', groupBy: 'file-task' });
    expect(json.n).toBe(5);
    expect(json.unscored).toEqual({ trajectories: 0, partial: 1, steps: 1 });
    expect(json.perTrajectory.map(({ unscoredSteps }: { unscoredSteps: number }) => unscoredSteps)).toEqual([0, 0, 1, 0, 0]);
    expect(json.perTrajectory.map(({ unscoredSteps: _, ...rest }: { unscoredSteps: number }) => rest)).toEqual([
      // A: [0.5, 0.5] → 0.5; [−0.5]; [0.5, 1] → 0.75; mean 0.75 / 3. Running 0.5, 0, 0.75.
      { id: 't1-a', line: 1, score: 0.25, stepScores: [0.5, -0.5, 0.75], predicted: { min_cumulative: 3, sharpest_drop: 3, sharpest_abs_drop: 3 } },
      // [0.5]; [−0.5, 0] → −0.25; [−0.25]; [1, 1] → 1. Running 0.5, 0.25, 0, 1 → message 6;
      // lowest −0.25 first at message 4; changes −0.75, 0, 1.25 → message 4.
      { id: 't1-b', line: 2, score: 0.25, stepScores: [0.5, -0.25, -0.25, 1], predicted: { min_cumulative: 6, sharpest_drop: 4, sharpest_abs_drop: 4 } },
      // [0.5 ×3]; [−0.5, 0]; [−0.5]; [−1, −1]; [] → 0. Sum −1.25 over 5 steps. Running 0.5, 0.25, −0.25, −1.25, −1.25
      // → message 7 (earliest of the tie); lowest −1 → message 7; changes −0.75, −0.25, −0.5, 1 → message 3.
      { id: 't2-c', line: 3, score: -0.25, stepScores: [0.5, -0.25, -0.5, -1, 0], predicted: { min_cumulative: 7, sharpest_drop: 7, sharpest_abs_drop: 3 } },
      { id: 't2-d', line: 4, score: -0.125, stepScores: [0.25, -0.5], predicted: { min_cumulative: 3, sharpest_drop: 3, sharpest_abs_drop: 3 } },
      { id: 'solo-e', line: 5, score: 0.125, stepScores: [0.125], predicted: { min_cumulative: 1, sharpest_drop: 1, sharpest_abs_drop: 1 } },
    ]);
  });

  it('best-of-N: t1 ties (0.25 = 0.25) and keeps t1-a, t2 keeps t2-d, solo-e is its own group', () => {
    expect(json.bestOfN).toEqual({
      groups: 3,
      n: 5,
      successRate: 2 / 3,
      meanReward: 2.5 / 3,
      passAtN: 2 / 3,
      meanAtN: (1 / 2 + 1 / 2 + 0) / 3,
      chosen: [
        { taskId: 't1', id: 't1-a', score: 0.25, reward: 1, candidates: 2 },
        { taskId: 't2', id: 't2-d', score: -0.125, reward: 1, candidates: 2 },
        { taskId: null, id: 'solo-e', score: 0.125, reward: 0.5, candidates: 1 },
      ],
    });
  });

  it('uncertainty: AUROC 3.5 / 6 from pair counting, Spearman 1.5 / √85.5 from ranks', () => {
    // Positives t1-a 0.25, t2-d −0.125; negatives t1-b 0.25, t2-c −0.25, solo-e 0.125:
    // (0.25 vs 0.25) ½ + (vs −0.25) 1 + (vs 0.125) 1 + (−0.125 vs 0.25) 0 + (vs −0.25) 1 + (vs 0.125) 0 = 3.5.
    expect(json.uq.n).toBe(5);
    expect(json.uq.auroc).toBe(3.5 / 6);
    // Score ranks 4.5, 4.5, 1, 2, 3; reward ranks 4.5, 1.5, 1.5, 4.5, 3; Σdxdy = 1.5, Σdx² = 9.5, Σdy² = 9.
    expect(json.uq.spearman).toBeCloseTo(1.5 / Math.sqrt(85.5), 15);
    expect(json.uq.aurocReason).toBeNull();
    expect(json.uq.spearmanReason).toBeNull();
    expect(json.uq.roc).toEqual([
      { fpr: 0, tpr: 0, threshold: null },
      { fpr: 1 / 3, tpr: 0.5, threshold: 0.25 },
      { fpr: 2 / 3, tpr: 0.5, threshold: 0.125 },
      { fpr: 2 / 3, tpr: 1, threshold: -0.125 },
      { fpr: 1, tpr: 1, threshold: -0.25 },
    ]);
  });

  it('failure attribution: t1-b (mistake at message 6, position 2) and t2-c (message 4 → position 1)', () => {
    expect(json.failureAttribution).toEqual({
      // t1-b → 6: exact. t2-c → 7: position 3, two steps from position 1; |7 − 4| = 3.
      min_cumulative: { accuracy: 0.5, within1: 0.5, within2: 1, mae: 1.5, n: 2 },
      // t1-b → 4: position 1, one step off; |4 − 6| = 2. t2-c → 7 as above.
      sharpest_drop: { accuracy: 0, within1: 0.5, within2: 1, mae: 2.5, n: 2 },
      // t1-b → 4 as above. t2-c → 3: position 1, zero steps off, but not the labelled message; |3 − 4| = 1.
      sharpest_abs_drop: { accuracy: 0, within1: 1, within2: 1, mae: 1.5, n: 2 },
    });
    expect(json.agentAccuracy).toEqual({
      min_cumulative: { accuracy: 0.5, n: 2 }, // t1-b message 6: Coder ✓; t2-c message 7: Planner ✗
      sharpest_drop: { accuracy: 0, n: 2 }, // message 4: Planner ✗; message 7: Planner ✗
      sharpest_abs_drop: { accuracy: 0.5, n: 2 }, // message 4: Planner ✗; message 3: Coder ✓
    });
    expect(json.excluded.failureAttribution.map((e: { id: string }) => e.id)).toEqual(['t1-a', 't2-d', 'solo-e']);
    expect(json.skipped).toEqual([]);
  });

  it('prints exactly the output documented in docs/eval.md (the default, --unscored skip)', () => {
    expect(evalCli('--json', `${CORPUS}/example.jsonl`).stdout).toBe(documentedBlock('eval-example-json'));
  });

  it('the documented example file is the one tested', () => {
    expect(readFileSync(resolve(ROOT, CORPUS, 'example.jsonl'), 'utf8')).toBe(documentedBlock('eval-example-file'));
  });
});

describe('eval table output', () => {
  it('prints exactly the tables documented in docs/eval.md', () => {
    const { status, stdout } = evalCli(`${CORPUS}/example.jsonl`);
    expect(status).toBe(0);
    expect(stdout).toBe(documentedBlock('eval-example-table'));
    expect(stdout).toBe(documentedBlock('eval-example-table', 'README.md'));
  });

  it('the documented sweep', () => {
    const { status, stdout } = evalCli('--sweep', '--metric', 'auroc', `${CORPUS}/example.jsonl`);
    expect(status).toBe(0);
    expect(stdout).toBe(documentedBlock('eval-example-sweep'));
  });
});

describe('eval --unscored skip (the default)', () => {
  const { json } = evalJson(`${CORPUS}/example.jsonl`);

  it('leaves t2-c’s unscored last step out of its score, its running advantage and the predictors, and counts it', () => {
    expect(json.options).toMatchObject({ unscored: 'skip', groupBy: 'file-task' });
    const t2c = json.perTrajectory[2];
    // [0.5, −0.25, −0.5, −1, —]: mean of four −1.25 / 4.
    expect(t2c).toEqual({ id: 't2-c', line: 3, score: -0.3125, stepScores: [0.5, -0.25, -0.5, -1, null], unscoredSteps: 1, predicted: { min_cumulative: 7, sharpest_drop: 7, sharpest_abs_drop: 3 } });
    expect(json.unscored).toEqual({ trajectories: 0, partial: 1, steps: 1 });
    // The other trajectories are fully scored: the same figures as the reference code.
    const zero = evalJson('--unscored', 'zero', `${CORPUS}/example.jsonl`).json;
    for (const i of [0, 1, 3, 4]) expect(json.perTrajectory[i]).toEqual(zero.perTrajectory[i]);
  });

  it('rejects an unknown policy and grouping', () => {
    expect(evalCli('--unscored', 'nan', `${CORPUS}/example.jsonl`)).toMatchObject({ status: 2, stderr: expect.stringContaining("--unscored: unknown value 'nan' (expected skip | zero)") });
    expect(evalCli('--group-by', 'x', `${CORPUS}/example.jsonl`)).toMatchObject({ status: 2, stderr: expect.stringContaining("--group-by: unknown value 'x' (expected file-task | task)") });
  });
});

describe('eval options', () => {
  it('--beta scales the progress advantage and leaves the rankings alone', () => {
    const { json } = evalJson('--beta', '2', '--unscored', 'zero', `${CORPUS}/example.jsonl`);
    expect(json.perTrajectory.map((t: { score: number }) => t.score)).toEqual([0.5, 0.5, -0.5, -0.25, 0.25]);
    expect(json.uq.auroc).toBe(3.5 / 6);
    expect(json.bestOfN.successRate).toBe(2 / 3);
  });

  it('--token-agg min --step-agg min', () => {
    const { json } = evalJson('--token-agg', 'min', '--step-agg', 'min', `${CORPUS}/example.jsonl`);
    // t1-a: steps min 0.5, −0.5, 0.5 → −0.5. t1-b: 0.5, −0.5, −0.25, 1 → −0.5. t2-c: 0.5, −0.5, −0.5, −1, 0 → −1.
    // t2-d: 0, −0.5 → −0.5. solo-e: 0.125.
    expect(json.perTrajectory.map((t: { score: number }) => t.score)).toEqual([-0.5, -0.5, -1, -0.5, 0.125]);
    expect(json.options).toMatchObject({ tokenAgg: 'min', stepAgg: 'min' });
  });

  it('--k 2 changes the attribution scores only', () => {
    const { json } = evalJson('--k', '2', '--unscored', 'zero', `${CORPUS}/example.jsonl`);
    // t1-b 2-advantage: 0.5, 0.25, −0.5, 0.75 → running 0.5, 0.75, 0.25, 1 → message 6 (k = 1: also 6);
    // lowest −0.5 → message 6 (k = 1: 4); changes −0.25, −0.75, 1.25 → message 6 (k = 1: 4).
    expect(json.perTrajectory[1].predicted).toEqual({ min_cumulative: 6, sharpest_drop: 6, sharpest_abs_drop: 6 });
    // t2-c 2-advantage: 0.5, 0.25, −0.75, −1.5, −1 → running 0.5, 0.75, 0, −1.5, −2.5 → message 9 (position 4,
    // three steps from position 1, |9 − 4| = 5); lowest −1.5 → message 7 (two steps, 3);
    // changes −0.25, −1, −0.75, 0.5 → message 5 (one step, 1).
    expect(json.failureAttribution).toEqual({
      min_cumulative: { accuracy: 0.5, within1: 0.5, within2: 0.5, mae: 2.5, n: 2 },
      sharpest_drop: { accuracy: 0.5, within1: 0.5, within2: 1, mae: 1.5, n: 2 },
      sharpest_abs_drop: { accuracy: 0.5, within1: 1, within2: 1, mae: 0.5, n: 2 },
    });
    expect(json.perTrajectory[1].stepScores).toEqual([0.5, -0.25, -0.25, 1]);
    expect(json.options.k).toBe(2);
  });

  it('--method policy-logprob and reference-logprob', () => {
    const policy = evalJson('--method', 'policy-logprob', `${CORPUS}/example.jsonl`).json;
    // t1-a: means −0.375, −1, −0.375 → −1.75 / 3.
    expect(policy.perTrajectory[0].stepScores).toEqual([-0.375, -1, -0.375]);
    expect(policy.perTrajectory[0].score).toBeCloseTo(-1.75 / 3, 15);
    const reference = evalJson('--method', 'reference-logprob', '--step-agg', 'last', `${CORPUS}/example.jsonl`).json;
    expect(reference.perTrajectory[0].score).toBe(-1.125);
  });

  it('--sweep --json gives the 5 × 6 table as an object', () => {
    const { status, json } = evalJson('--sweep', `${CORPUS}/example.jsonl`);
    expect(status).toBe(0);
    expect(json.metric).toBe('auroc');
    expect(json.tokenAggregations).toEqual(['mean', 'sum', 'last', 'min', 'max']);
    expect(json.stepAggregations).toEqual(['mean', 'sum', 'last', 'min', 'max', 'bottom10']);
    expect(json.values).toHaveLength(5);
    for (const row of json.values) expect(row).toHaveLength(6);
    expect(json.values[0][0]).toBe(3.5 / 6);
    expect(json.n).toBe(5);
  });

  it('--sweep --metric fa-accuracy --predictor sharpest_abs_drop', () => {
    const { json } = evalJson('--sweep', '--metric', 'fa-accuracy', '--predictor', 'sharpest_abs_drop', `${CORPUS}/example.jsonl`);
    expect(json.predictor).toBe('sharpest_abs_drop');
    expect(json.values[0]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('--help prints the usage and exits 0', () => {
    const { status, stdout } = evalCli('--help');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^usage: progress-advantage eval \[options\] FILE/);
  });
});

describe('eval on bad input', () => {
  it('skips bad lines, says which and why, and scores the rest', () => {
    const { status, stderr, json } = evalJson(`${CORPUS}/mixed.jsonl`);
    expect(status).toBe(0);
    expect(json.perTrajectory.map((t: { id: string; score: number }) => [t.id, t.score])).toEqual([
      ['g1', 0.5],
      ['g2', -1],
    ]);
    expect(json.skipped).toEqual([
      {
        line: 2,
        id: 'uneq',
        reason:
          'steps[0].reference: has 1 log-probs but steps[0].policy has 2; the difference mode needs one pair per token (use --mode per-model for two tokenizers)',
      },
      { line: 3, id: 'nan', reason: 'steps[0].policy[0]: expected a finite number, got the string "NaN"' },
      { line: 4, id: 'nul', reason: 'steps[0].reference[1]: expected a finite number, got null' },
      { line: 6, id: null, reason: expect.stringMatching(/^not valid JSON: /) },
    ]);
    expect(stderr).toBe('eval: 4 trajectories skipped (listed under "skipped")\n');
  });

  it('table mode lists the skipped lines on stderr', () => {
    const { status, stderr } = evalCli(`${CORPUS}/mixed.jsonl`);
    expect(status).toBe(0);
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `${CORPUS}/mixed.jsonl:2 (id "uneq"): skipped: steps[0].reference: has 1 log-probs but steps[0].policy has 2; the difference mode needs one pair per token (use --mode per-model for two tokenizers)`,
    );
    expect(lines[1]).toBe(`${CORPUS}/mixed.jsonl:3 (id "nan"): skipped: steps[0].policy[0]: expected a finite number, got the string "NaN"`);
    expect(lines[3]).toMatch(new RegExp(`^${CORPUS}/mixed\\.jsonl:6: skipped: not valid JSON`));
    expect(lines[4]).toBe('eval: 4 trajectories skipped');
  });

  it('per-model mode scores spans of different lengths', () => {
    const { json } = evalJson('--mode', 'per-model', `${CORPUS}/mixed.jsonl`);
    // uneq: mean(−1, −1) − mean(−0.5) = −0.5
    expect(json.perTrajectory.map((t: { id: string; score: number }) => [t.id, t.score])).toEqual([
      ['g1', 0.5],
      ['uneq', -0.5],
      ['g2', -1],
    ]);
    expect(json.skipped.map((s: { line: number }) => s.line)).toEqual([3, 4, 6]);
  });

  it('self-certainty reads topkMean', () => {
    const { json } = evalJson('--method', 'self-certainty', `${CORPUS}/mixed.jsonl`);
    expect(json.perTrajectory.map((t: { id: string; score: number }) => [t.id, t.score])).toEqual([
      ['g1', -2],
      ['uneq', -2],
      ['g2', -4],
    ]);
  });

  it('self-certainty without topkMean: a clear error per trajectory and exit 1 when none has it', () => {
    const { status, stderr, json } = evalJson('--method', 'self-certainty', `${CORPUS}/all-bad.jsonl`);
    expect(status).toBe(1);
    expect(json).toEqual({
      error: `no usable trajectory in ${CORPUS}/all-bad.jsonl: all 1 skipped`,
      n: 0,
      skipped: [
        {
          line: 1,
          id: 'only',
          reason: 'steps[0].topkMean: missing; self-certainty and DeepConf need the mean of the top-20 log-probs of every policy token',
        },
      ],
    });
    expect(stderr).toContain('skipped: steps[0].topkMean: missing');
  });

  it('nothing usable exits 1', () => {
    const { status, json, stderr } = evalJson(`${CORPUS}/all-bad.jsonl`);
    expect(status).toBe(1);
    expect(json.n).toBe(0);
    expect(json.skipped[0]).toMatchObject({ line: 1, id: 'only', reason: expect.stringMatching(/^steps\[0\]\.reference: has 1 log-probs/) });
    expect(stderr).toContain(`eval: no usable trajectory in ${CORPUS}/all-bad.jsonl: all 1 skipped`);
    expect(evalCli('--mode', 'per-model', `${CORPUS}/all-bad.jsonl`).status).toBe(0);
  });

  it('an empty file exits 1', () => {
    const { status, stderr } = evalCli(`${CORPUS}/empty.jsonl`);
    expect(status).toBe(1);
    expect(stderr).toBe(`eval: ${CORPUS}/empty.jsonl holds no trajectories (empty file)\n`);
  });

  it('a missing file exits 1 and names it', () => {
    const { status, stdout, stderr } = evalCli('--json', `${CORPUS}/no-such-file.jsonl`);
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`eval: error: ${CORPUS}/no-such-file.jsonl: cannot read the file: no such file\n`);
  });

  it.each([
    [['--method', 'entropy'], "--method: unknown value 'entropy' (expected progress | policy-logprob | reference-logprob | self-certainty | deepconf-tail | deepconf-b10)"],
    [['--token-agg', 'bottom10'], "--token-agg: unknown value 'bottom10' (expected mean | sum | last | min | max)"],
    [['--step-agg', 'median'], "--step-agg: unknown value 'median' (expected mean | sum | last | min | max | bottom10)"],
    [['--mode', 'ratio'], "--mode: unknown value 'ratio' (expected difference | per-model)"],
    [['--beta', '0'], "--beta: expected a finite number > 0, got '0'"],
    [['--beta', 'NaN'], "--beta: expected a finite number > 0, got 'NaN'"],
    [['--k', '0'], "--k: expected an integer ≥ 1, got '0'"],
    [['--k', '1.5'], "--k: expected an integer ≥ 1, got '1.5'"],
    [['--metric', 'auroc'], '--metric and --predictor only apply with --sweep'],
    [['--sweep', '--metric', 'accuracy'], "--metric: unknown value 'accuracy'"],
    [['--sweep', '--token-agg', 'min'], '--sweep runs every --token-agg and --step-agg; leave them out'],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
  ])('usage error %j exits 2', (args, message) => {
    const { status, stdout, stderr } = evalCli(...args, `${CORPUS}/example.jsonl`);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`eval: ${message}`);
    expect(stderr).toContain('usage: progress-advantage eval');
  });

  it('no FILE or two FILEs are usage errors', () => {
    expect(evalCli().stderr).toContain('eval: missing FILE');
    expect(evalCli().status).toBe(2);
    const two = evalCli(`${CORPUS}/example.jsonl`, `${CORPUS}/mixed.jsonl`);
    expect(two.status).toBe(2);
    expect(two.stderr).toContain('eval: one FILE expected, got 2');
  });
});
