import { describe, expect, it } from 'vitest';
import { STEP_AGGREGATIONS, TOKEN_AGGREGATIONS } from '../../../../src/core/advantage';
import {
  DEFAULT_EVALUATION_OPTIONS,
  evaluateRecords,
  parseScoreJsonl,
  sweepAggregations,
  sweepMetricValue,
  SWEEP_METRICS,
  type EvaluationOptions,
} from '../../../../src/core/scores';

const jsonl = (...records: Record<string, unknown>[]) => records.map((r) => JSON.stringify(r)).join('\n');
const options = (overrides: Partial<EvaluationOptions> = {}): EvaluationOptions => ({ ...DEFAULT_EVALUATION_OPTIONS, ...overrides });

// Step scores (difference, mean, β = 1) are written next to each step.
const dataset = jsonl(
  {
    id: 'win',
    taskId: 'T',
    reward: 1,
    steps: [
      { message: 1, policy: [-0.5, -1], reference: [-1, -1.5] }, // 0.5
      { message: 3, policy: [-1], reference: [-1.25] }, // 0.25
    ],
  },
  {
    id: 'fail',
    taskId: 'T',
    reward: 0,
    mistakeStep: 4,
    mistakeAgent: 'B',
    steps: [
      { message: 2, agent: 'A', policy: [-1], reference: [-1.5] }, // 0.5
      { message: 4, agent: 'B', policy: [-2, -1], reference: [-1, -1] }, // −0.5
      { message: 6, agent: 'A', policy: [-1], reference: [-0.75] }, // −0.25
      { message: 8, agent: 'A', policy: [], reference: [] }, // cut off: 0
    ],
  },
  { id: 'empty', taskId: 'U', reward: 1, steps: [] },
  { id: 'unlabelled', steps: [{ message: 0, policy: [-1], reference: [-3] }] }, // 2
);

describe('evaluateRecords (unscored zero: the reference code’s figures)', () => {
  const parsed = parseScoreJsonl(dataset, 'd.jsonl');
  const report = evaluateRecords(parsed.records, options({ unscored: 'zero' }), parsed.errors);

  it('scores every trajectory', () => {
    expect(
      report.trajectories.map((t) => ({ id: t.id, score: t.score, stepScores: t.stepScores, running: t.runningAdvantage })),
    ).toEqual([
      { id: 'win', score: 0.375, stepScores: [0.5, 0.25], running: [0.5, 0.75] },
      { id: 'fail', score: -0.0625, stepScores: [0.5, -0.5, -0.25, 0], running: [0.5, 0, -0.25, -0.25] },
      { id: 'empty', score: null, stepScores: [], running: [] },
      { id: 'unlabelled', score: 2, stepScores: [2], running: [2] },
    ]);
    expect(report.skipped).toEqual([]);
  });

  it('predicts message indices', () => {
    expect(report.trajectories[1].predicted).toEqual({
      min_cumulative: 6, // running minimum −0.25 first at position 2
      sharpest_drop: 4, // −0.5
      sharpest_abs_drop: 4, // changes −1, 0.25, 0.25
    });
    expect(report.trajectories[2].predicted).toEqual({ min_cumulative: null, sharpest_drop: null, sharpest_abs_drop: null });
  });

  it('best-of-N: a trajectory without a score is never chosen (left out with its reason), nor are unrewarded ones', () => {
    expect(report.bestOfN).toMatchObject({ groups: 1, n: 2, successRate: 1, meanReward: 1, passAtN: 1, meanAtN: 0.5 });
    expect(report.bestOfN?.chosen.map((c) => c.id)).toEqual(['win']);
    expect(report.excluded.bestOfN).toEqual([
      { line: 3, id: 'empty', reason: 'no score (no action step)' },
      { line: 4, id: 'unlabelled', reason: 'no reward' },
    ]);
  });

  it('uncertainty over the rewarded, scored trajectories', () => {
    expect(report.uncertainty).toMatchObject({ n: 2, auroc: 1, aurocReason: null, spearman: 1, spearmanReason: null });
    expect(report.excluded.uncertainty).toEqual([
      { line: 3, id: 'empty', reason: 'no score (no action step)' },
      { line: 4, id: 'unlabelled', reason: 'no reward' },
    ]);
  });

  it('failure attribution over the labelled trajectories with action steps', () => {
    expect(report.failureAttribution).toEqual({
      min_cumulative: { accuracy: 0, within1: 1, within2: 1, mae: 2, n: 1 },
      sharpest_drop: { accuracy: 1, within1: 1, within2: 1, mae: 0, n: 1 },
      sharpest_abs_drop: { accuracy: 1, within1: 1, within2: 1, mae: 0, n: 1 },
    });
    expect(report.agentAttribution).toEqual({
      min_cumulative: { accuracy: 0, n: 1 },
      sharpest_drop: { accuracy: 1, n: 1 },
      sharpest_abs_drop: { accuracy: 1, n: 1 },
    });
    expect(report.excluded.failureAttribution.map((e) => [e.id, e.reason])).toEqual([
      ['win', 'no mistakeStep'],
      ['empty', 'no mistakeStep'],
      ['unlabelled', 'no mistakeStep'],
    ]);
  });

  it('k = 2: the predictors read the sum of two consecutive step scores', () => {
    const k2 = evaluateRecords(parsed.records, options({ k: 2, unscored: 'zero' }));
    const fail = k2.trajectories[1];
    expect(fail.stepScores).toEqual([0.5, -0.5, -0.25, 0]);
    expect(fail.attributionScores).toEqual([0.5, 0, -0.75, -0.25]);
    // running of the 2-advantage: 0.5, 0.5, −0.25, −0.5 → position 3; lowest −0.75 → position 2;
    // changes −0.5, −0.75, 0.5 → position 2.
    expect(fail.predicted).toEqual({ min_cumulative: 8, sharpest_drop: 6, sharpest_abs_drop: 6 });
    expect(fail.score).toBe(-0.0625); // the trajectory score does not depend on k
  });

  it('sections are null without their labels', () => {
    const unlabelled = parseScoreJsonl(jsonl({ id: 'a', steps: [{ message: 0, policy: [-1], reference: [-1] }] }), 'x');
    const r = evaluateRecords(unlabelled.records, options());
    expect([r.bestOfN, r.uncertainty, r.failureAttribution, r.agentAttribution]).toEqual([null, null, null, null]);
    expect(r.excluded).toEqual({ bestOfN: [], uncertainty: [], failureAttribution: [] });
  });

  it('one-class and constant inputs give null statistics with reasons', () => {
    const oneClass = parseScoreJsonl(
      jsonl(
        { id: 'a', reward: 0, steps: [{ message: 0, policy: [-1], reference: [-2] }] },
        { id: 'b', reward: 0.5, steps: [{ message: 0, policy: [-1], reference: [-1] }] },
      ),
      'x',
    );
    const r = evaluateRecords(oneClass.records, options());
    expect(r.uncertainty).toEqual({
      n: 2,
      auroc: null,
      aurocReason: 'only one class: all 2 trajectories failed',
      spearman: -1,
      spearmanReason: null,
      roc: null,
    });
  });
});

describe('evaluateRecords: unscored steps (skip, the default)', () => {
  const parsed = parseScoreJsonl(dataset, 'd.jsonl');
  const report = evaluateRecords(parsed.records, options(), parsed.errors);

  it('an unscored step has no score, stays out of the aggregate, the running advantage and the predictors, and is counted', () => {
    const fail = report.trajectories[1];
    expect(fail.stepScores).toEqual([0.5, -0.5, -0.25, null]);
    expect(fail.score).toBeCloseTo(-0.25 / 3, 15);
    expect(fail.runningAdvantage).toEqual([0.5, 0, -0.25, null]);
    expect(fail.unscoredSteps).toBe(1);
    expect(fail.predicted).toEqual({ min_cumulative: 6, sharpest_drop: 4, sharpest_abs_drop: 4 });
    expect(report.unscored).toEqual({ trajectories: 0, partial: 1, steps: 1 });
  });

  const cut = parseScoreJsonl(
    jsonl(
      // τ-bench beyond the context: every step cut. Under zero all score 0 and best-of-N kept the first of the ties.
      { id: 'cut-a', taskId: '0', reward: 0, mistakeStep: 1, steps: [{ message: 1, policy: [], reference: [] }, { message: 3, policy: [], reference: [] }] },
      { id: 'cut-b', taskId: '0', reward: 1, steps: [{ message: 1, policy: [], reference: [] }] },
      { id: 'ok', taskId: '1', reward: 1, steps: [{ message: 1, policy: [-1], reference: [-1.5] }] },
      { id: 'ok-fail', taskId: '1', reward: 0, steps: [{ message: 1, policy: [-1], reference: [-0.5] }] },
    ),
    'cut.jsonl',
  );

  it('a trajectory with no scored step has no score and no decisive step, and is left out of every section with the reason', () => {
    const r = evaluateRecords(cut.records, options());
    expect(r.trajectories.slice(0, 2).map((t) => [t.score, t.predicted.min_cumulative, t.unscoredSteps])).toEqual([
      [null, null, 2],
      [null, null, 1],
    ]);
    expect(r.unscored).toEqual({ trajectories: 2, partial: 0, steps: 3 });
    expect(r.bestOfN).toMatchObject({ groups: 1, n: 2 });
    expect(r.bestOfN?.chosen.map((c) => c.id)).toEqual(['ok']);
    expect(r.excluded.bestOfN.map((e) => [e.id, e.reason])).toEqual([
      ['cut-a', 'no score (no scored step)'],
      ['cut-b', 'no score (no scored step)'],
    ]);
    expect(r.uncertainty?.n).toBe(2);
    expect(r.failureAttribution).toBeNull();
    expect(r.excluded.failureAttribution).toEqual([]);
  });

  it('unscored zero reproduces the reference code: zeros, a decisive step at step 1, ties to the first', () => {
    const r = evaluateRecords(cut.records, options({ unscored: 'zero' }));
    expect(r.trajectories.slice(0, 2).map((t) => [t.score, t.predicted.min_cumulative])).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(r.unscored).toEqual({ trajectories: 2, partial: 0, steps: 3 });
    expect(r.bestOfN?.chosen.map((c) => c.id)).toEqual(['cut-a', 'ok']);
    expect(r.uncertainty?.n).toBe(4);
    expect(r.failureAttribution?.min_cumulative.n).toBe(1);
  });

  it('best-of-N groups by (file, task): the record’s `file` key or the source the caller names; merged on request', () => {
    const twoFiles = parseScoreJsonl(
      jsonl(
        { id: 'a', file: 'tau.jsonl', taskId: '0', reward: 0, steps: [{ message: 1, policy: [-1], reference: [-2] }] },
        { id: 'b', file: 'tau2.jsonl', taskId: '0', reward: 1, steps: [{ message: 1, policy: [-1], reference: [-1] }] },
      ),
      'x',
    );
    const perFile = evaluateRecords(twoFiles.records, options());
    expect(perFile.bestOfN?.groups).toBe(2);
    expect(perFile.trajectories.map((t) => t.source)).toEqual(['tau.jsonl', 'tau2.jsonl']);
    expect(evaluateRecords(twoFiles.records, options({ grouping: 'task' })).bestOfN?.groups).toBe(1);
    // A caller's source wins over the record's key (the page names the loaded file).
    const sameSource = twoFiles.records.map((r) => ({ ...r, source: 'one' }));
    expect(evaluateRecords(sameSource, options()).bestOfN?.groups).toBe(1);
    // One score file without `file` keys: nothing changes.
    const plain = parseScoreJsonl(dataset, 'd.jsonl');
    expect(evaluateRecords(plain.records, options()).bestOfN).toEqual(evaluateRecords(plain.records, options({ grouping: 'task' })).bestOfN);
  });
});

describe('evaluateRecords: what cannot be scored is skipped, with the reason', () => {
  const text = [
    JSON.stringify({ id: 'ok', reward: 1, steps: [{ message: 0, policy: [-1], reference: [-2], topkMean: [-3] }] }),
    JSON.stringify({ id: 'two-tokenizers', reward: 0, steps: [{ message: 0, policy: [-1, -1], reference: [-2] }] }),
    'not json',
  ].join('\n');
  const parsed = parseScoreJsonl(text, 'x.jsonl');

  it('difference mode skips unequal lengths, naming the field', () => {
    const r = evaluateRecords(parsed.records, options(), parsed.errors);
    expect(r.trajectories.map((t) => t.id)).toEqual(['ok']);
    expect(r.skipped).toEqual([
      {
        line: 2,
        id: 'two-tokenizers',
        reason:
          'steps[0].reference: has 1 log-probs but steps[0].policy has 2; the difference mode needs one pair per token (use --mode per-model for two tokenizers)',
      },
      { line: 3, id: null, reason: expect.stringMatching(/^not valid JSON/) },
    ]);
  });

  it('per-model mode scores them', () => {
    const r = evaluateRecords(parsed.records, options({ mode: 'per-model' }), parsed.errors);
    expect(r.trajectories.map((t) => [t.id, t.score])).toEqual([
      ['ok', 1],
      ['two-tokenizers', 1],
    ]);
    expect(r.skipped.map((s) => s.line)).toEqual([3]);
  });

  it('self-certainty skips trajectories without topkMean', () => {
    const r = evaluateRecords(parsed.records, options({ method: 'self-certainty' }));
    expect(r.trajectories.map((t) => [t.id, t.score])).toEqual([['ok', -3]]);
    expect(r.skipped[0]).toMatchObject({ line: 2, id: 'two-tokenizers', reason: expect.stringMatching(/^steps\[0\]\.topkMean: missing/) });
  });
});

describe('sweepAggregations', () => {
  const parsed = parseScoreJsonl(dataset, 'd.jsonl');

  it('fills the 5 × 6 table with the metric of each combination', () => {
    for (const metric of SWEEP_METRICS) {
      const sweep = sweepAggregations(parsed.records, options(), metric, 'sharpest_drop');
      expect(sweep.tokenAggregations).toEqual(TOKEN_AGGREGATIONS);
      expect(sweep.stepAggregations).toEqual(STEP_AGGREGATIONS);
      expect(sweep.n).toBe(4);
      TOKEN_AGGREGATIONS.forEach((tokenAggregation, i) =>
        STEP_AGGREGATIONS.forEach((stepAggregation, j) => {
          const report = evaluateRecords(parsed.records, options({ tokenAggregation, stepAggregation }));
          expect(sweep.values[i][j]).toBe(sweepMetricValue(report, metric, 'sharpest_drop'));
        }),
      );
    }
  });

  it('hand-checked cells: best-of-N success in group T under token min', () => {
    // token min: win → steps 0.5 (min of [0.5, 0.5]), 0.25; fail → 0.5, −1, −0.25, 0.
    // step max: win 0.5, fail 0.5 → tie → win (first) → success 1 in both groups.
    // step min: win 0.25, fail −1 → win.  step sum: win 0.75, fail −0.75 → win.
    const sweep = sweepAggregations(parsed.records, options(), 'bestofn', 'min_cumulative');
    const minRow = sweep.values[TOKEN_AGGREGATIONS.indexOf('min')];
    expect(minRow).toEqual([1, 1, 1, 1, 1, 1]);
    // token max, step last: win 0.25, fail 0 → win as well; token sum, step last: win 0.25, fail 0.
    expect(sweep.values[TOKEN_AGGREGATIONS.indexOf('max')][STEP_AGGREGATIONS.indexOf('last')]).toBe(1);
  });

  it('failure-attribution rows repeat across step aggregations', () => {
    const sweep = sweepAggregations(parsed.records, options(), 'fa-mae', 'min_cumulative');
    for (const row of sweep.values) expect(new Set(row).size).toBe(1);
    // token mean: min_cumulative predicts message 6 for a mistake at 4 → MAE 2.
    expect(sweep.values[0][0]).toBe(2);
  });
});
