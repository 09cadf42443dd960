import { describe, expect, it } from 'vitest';
import {
  effectiveStepAggregation,
  kStepAdvantage,
  progressStepScore,
  runningAdvantage,
  scoreTrajectory,
  SCORING_METHODS,
  STEP_AGGREGATIONS,
  StepInputError,
  stepScore,
  TOKEN_AGGREGATIONS,
  tokenAdvantages,
  type AdvantageMode,
  type ScoringMethod,
  type ScoringOptions,
  type StepAggregation,
  type StepLogprobs,
  type TokenAggregation,
} from '../../../../src/core/advantage';

const options = (overrides: Partial<ScoringOptions> = {}): ScoringOptions => ({
  method: 'progress',
  tokenAggregation: 'mean',
  stepAggregation: 'mean',
  mode: 'difference',
  beta: 1,
  ...overrides,
});

describe('tokenAdvantages', () => {
  it('is β·(log π_θ − log π_ref) per token', () => {
    expect(tokenAdvantages([-0.5, -2, -1], [-1, -1.5, -1], 1)).toEqual([0.5, -0.5, 0]);
    expect(tokenAdvantages([-0.5, -2, -1], [-1, -1.5, -1], 2)).toEqual([1, -1, 0]);
    expect(tokenAdvantages([-0.5], [-1], 0.25)).toEqual([0.125]);
    expect(tokenAdvantages([], [], 1)).toEqual([]);
  });

  it('rejects arrays of unequal length, naming the field', () => {
    expect(() => tokenAdvantages([-1, -2], [-1], 1, 'steps[3]')).toThrow(StepInputError);
    try {
      tokenAdvantages([-1, -2], [-1], 1, 'steps[3]');
    } catch (err) {
      expect((err as StepInputError).field).toBe('steps[3].reference');
      expect((err as Error).message).toContain('has 1 log-probs but steps[3].policy has 2');
    }
  });

  it('rejects non-finite values and β ≤ 0', () => {
    expect(() => tokenAdvantages([NaN], [-1], 1)).toThrow(/step\.policy\[0\]/);
    expect(() => tokenAdvantages([-1], [-Infinity], 1)).toThrow(/step\.reference\[0\]/);
    expect(() => tokenAdvantages([-1], [-1], 0)).toThrow(RangeError);
    expect(() => tokenAdvantages([-1], [-1], -1)).toThrow(RangeError);
    expect(() => tokenAdvantages([-1], [-1], NaN)).toThrow(RangeError);
  });
});

describe('progressStepScore', () => {
  // A = [0.5, −1, 0.25]
  const step: StepLogprobs = { policy: [-0.5, -2, -0.25], reference: [-1, -1, -0.5] };

  it('difference mode aggregates the token advantages', () => {
    const score = (tokenAggregation: TokenAggregation, beta = 1) =>
      progressStepScore(step, { tokenAggregation, mode: 'difference', beta });
    expect(score('mean')).toBe(-0.25 / 3);
    expect(score('sum')).toBe(-0.25);
    expect(score('last')).toBe(0.25);
    expect(score('min')).toBe(-1);
    expect(score('max')).toBe(0.5);
    expect(score('min', 2)).toBe(-2);
  });

  it('per-model mode subtracts the aggregates: equal for mean / sum / last, different for min / max', () => {
    const score = (tokenAggregation: TokenAggregation, mode: AdvantageMode) =>
      progressStepScore(step, { tokenAggregation, mode, beta: 1 });
    expect(score('mean', 'per-model')).toBeCloseTo(score('mean', 'difference'), 15);
    expect(score('sum', 'per-model')).toBe(score('sum', 'difference'));
    expect(score('last', 'per-model')).toBe(score('last', 'difference'));
    expect(score('min', 'per-model')).toBe(-2 - -1); // min policy − min reference = −1
    expect(score('max', 'per-model')).toBe(-0.25 - -0.5); // 0.25, while max A = 0.5
    expect(score('max', 'difference')).toBe(0.5);
  });

  it('per-model mode takes spans of different lengths (two tokenizers) and scales by β', () => {
    const twoTokenizers: StepLogprobs = { policy: [-1, -2], reference: [-0.5, -1, -3] };
    expect(progressStepScore(twoTokenizers, { tokenAggregation: 'sum', mode: 'per-model', beta: 1 })).toBe(1.5);
    expect(progressStepScore(twoTokenizers, { tokenAggregation: 'sum', mode: 'per-model', beta: 0.5 })).toBe(0.75);
    expect(() => progressStepScore(twoTokenizers, { tokenAggregation: 'sum', mode: 'difference', beta: 1 })).toThrow(
      StepInputError,
    );
  });

  it('a step with no tokens scores 0 in both modes', () => {
    for (const mode of ['difference', 'per-model'] as const) {
      for (const tokenAggregation of TOKEN_AGGREGATIONS) {
        expect(progressStepScore({ policy: [], reference: [] }, { tokenAggregation, mode, beta: 1 })).toBe(0);
      }
    }
  });

  it('per-model mode aggregates an empty side to 0, as the reference code does', () => {
    expect(progressStepScore({ policy: [-1, -3], reference: [] }, { tokenAggregation: 'mean', mode: 'per-model', beta: 2 })).toBe(
      -4,
    );
  });

  it('the sum over a step telescopes: Σ A_t = β·(Σ log π_θ − Σ log π_ref)', () => {
    const policy = [-0.125, -3.5, -0.75, -1.25];
    const reference = [-0.5, -2.25, -1, -0.25];
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(progressStepScore({ policy, reference }, { tokenAggregation: 'sum', mode: 'difference', beta: 3 })).toBe(
      3 * (sum(policy) - sum(reference)),
    );
  });
});

describe('stepScore baselines', () => {
  const step: StepLogprobs = { policy: [-0.5, -1.5], reference: [-1, -3], topkMean: [-4, -2] };

  it('policy-logprob and reference-logprob aggregate the raw log-probs, unscaled by β', () => {
    expect(stepScore(step, options({ method: 'policy-logprob', beta: 3 }))).toBe(-1);
    expect(stepScore(step, options({ method: 'reference-logprob', beta: 3 }))).toBe(-2);
    expect(stepScore(step, options({ method: 'policy-logprob', tokenAggregation: 'min' }))).toBe(-1.5);
    expect(stepScore(step, options({ method: 'reference-logprob', tokenAggregation: 'last' }))).toBe(-3);
  });

  it('policy-logprob needs no equal lengths', () => {
    expect(stepScore({ policy: [-1, -3], reference: [-1] }, options({ method: 'policy-logprob' }))).toBe(-2);
  });

  it('self-certainty and DeepConf aggregate topkMean', () => {
    for (const method of ['self-certainty', 'deepconf-tail', 'deepconf-b10'] as const) {
      expect(stepScore(step, options({ method }))).toBe(-3);
      expect(stepScore(step, options({ method, tokenAggregation: 'max' }))).toBe(-2);
    }
  });

  it('self-certainty without topkMean is an error naming the field; a step without tokens scores 0', () => {
    expect(() => stepScore({ policy: [-1], reference: [-1] }, options({ method: 'self-certainty' }), 'steps[2]')).toThrow(
      /^steps\[2\]\.topkMean: missing/,
    );
    expect(stepScore({ policy: [], reference: [] }, options({ method: 'self-certainty' }))).toBe(0);
    expect(() =>
      stepScore({ policy: [-1, -2], reference: [-1, -2], topkMean: [-3] }, options({ method: 'self-certainty' })),
    ).toThrow(/topkMean: has 1 values but step\.policy has 2/);
  });
});

describe('effectiveStepAggregation', () => {
  it('fixes last for deepconf-tail and bottom10 for deepconf-b10', () => {
    expect(effectiveStepAggregation({ method: 'deepconf-tail', stepAggregation: 'mean' })).toBe('last');
    expect(effectiveStepAggregation({ method: 'deepconf-b10', stepAggregation: 'max' })).toBe('bottom10');
    expect(effectiveStepAggregation({ method: 'self-certainty', stepAggregation: 'max' })).toBe('max');
    expect(effectiveStepAggregation({ method: 'progress', stepAggregation: 'min' })).toBe('min');
  });
});

describe('scoreTrajectory', () => {
  const steps: StepLogprobs[] = [
    { policy: [-0.5, -0.25], reference: [-1, -0.75] }, // A = [0.5, 0.5] → mean 0.5
    { policy: [], reference: [] }, // cut off → 0
    { policy: [-2], reference: [-1] }, // A = [−1]
  ];

  it('an unscored step has no score, is left out of the mean and is counted (the default, skip)', () => {
    const result = scoreTrajectory(steps, options());
    expect(result).toEqual({ stepScores: [0.5, null, -1], score: -0.25, unscoredSteps: 1 });
    expect(scoreTrajectory(steps, options({ unscored: 'skip' }))).toEqual(result);
  });

  it('unscored zero: an empty step scores 0 and still counts in the mean (the reference code)', () => {
    const result = scoreTrajectory(steps, options({ unscored: 'zero' }));
    expect(result.stepScores).toEqual([0.5, 0, -1]);
    expect(result.score).toBe(-0.5 / 3);
    expect(result.unscoredSteps).toBe(1);
  });

  it('a trajectory with no scored step has no score under skip, 0 under zero', () => {
    const cut = [{ policy: [], reference: [] }, { policy: [], reference: [] }];
    expect(scoreTrajectory(cut, options())).toEqual({ stepScores: [null, null], score: null, unscoredSteps: 2 });
    expect(scoreTrajectory(cut, options({ unscored: 'zero' }))).toEqual({ stepScores: [0, 0], score: 0, unscoredSteps: 2 });
  });

  it('a step with one side missing is unscored for progress, scored for the side it has', () => {
    const oneSided = [{ policy: [-1], reference: [] }];
    expect(scoreTrajectory(oneSided, options({ mode: 'per-model' })).stepScores).toEqual([null]);
    expect(scoreTrajectory(oneSided, options({ method: 'policy-logprob' })).stepScores).toEqual([-1]);
    expect(scoreTrajectory(oneSided, options({ method: 'reference-logprob' })).stepScores).toEqual([null]);
  });

  it('uses the step aggregation', () => {
    const zero = { unscored: 'zero' as const };
    expect(scoreTrajectory(steps, options({ ...zero, stepAggregation: 'sum' })).score).toBe(-0.5);
    expect(scoreTrajectory(steps, options({ ...zero, stepAggregation: 'last' })).score).toBe(-1);
    expect(scoreTrajectory(steps, options({ ...zero, stepAggregation: 'max' })).score).toBe(0.5);
    expect(scoreTrajectory(steps, options({ ...zero, stepAggregation: 'bottom10' })).score).toBe(-1);
    expect(scoreTrajectory(steps, options({ stepAggregation: 'sum' })).score).toBe(-0.5);
    expect(scoreTrajectory(steps, options({ stepAggregation: 'max' })).score).toBe(0.5);
  });

  it('scores a single step as itself under every step aggregation', () => {
    for (const stepAggregation of STEP_AGGREGATIONS) {
      expect(scoreTrajectory([steps[0]], options({ stepAggregation })).score).toBe(0.5);
    }
  });

  it('has no score without action steps', () => {
    for (const method of SCORING_METHODS) {
      expect(scoreTrajectory([], options({ method }))).toEqual({ stepScores: [], score: null, unscoredSteps: 0 });
    }
  });

  it('certainty methods leave steps without tokens out of the score but keep their 0 step score', () => {
    const withTopk: StepLogprobs[] = [
      { policy: [-1], reference: [-1], topkMean: [-2] },
      { policy: [], reference: [] },
      { policy: [-1, -1], reference: [-1, -1], topkMean: [-4, -6] },
    ];
    const zero = { unscored: 'zero' as const };
    const selfCertainty = scoreTrajectory(withTopk, options({ ...zero, method: 'self-certainty' }));
    expect(selfCertainty.stepScores).toEqual([-2, 0, -5]);
    expect(selfCertainty.score).toBe(-3.5); // mean of −2 and −5, the empty step left out
    expect(scoreTrajectory(withTopk, options({ ...zero, method: 'deepconf-tail' })).score).toBe(-5);
    expect(scoreTrajectory(withTopk, options({ ...zero, method: 'deepconf-b10', stepAggregation: 'max' })).score).toBe(-5);
    expect(scoreTrajectory([{ policy: [], reference: [] }], options({ ...zero, method: 'self-certainty' }))).toEqual({
      stepScores: [0],
      score: null,
      unscoredSteps: 1,
    });
    // Under skip the same score, the empty step null.
    expect(scoreTrajectory(withTopk, options({ method: 'self-certainty' }))).toEqual({ stepScores: [-2, null, -5], score: -3.5, unscoredSteps: 1 });
  });

  it('names the step of an error', () => {
    expect(() => scoreTrajectory([steps[0], { policy: [-1], reference: [] }], options())).toThrow(/^steps\[1\]\.reference/);
  });
});

/** An independent implementation written from the formulas in docs/eval.md. */
function naiveTrajectoryScore(
  steps: { policy: number[]; reference: number[]; topkMean: number[] }[],
  method: ScoringMethod,
  tokenAggregation: TokenAggregation,
  stepAggregation: StepAggregation,
  mode: AdvantageMode,
  beta: number,
  unscored: 'skip' | 'zero' = 'zero',
): { stepScores: (number | null)[]; score: number | null } {
  const agg = (xs: number[], how: string): number => {
    if (xs.length === 0) return 0;
    const sorted = [...xs].sort((a, b) => a - b);
    if (how === 'mean') return xs.reduce((a, b) => a + b, 0) / xs.length;
    if (how === 'sum') return xs.reduce((a, b) => a + b, 0);
    if (how === 'last') return xs[xs.length - 1];
    if (how === 'min') return sorted[0];
    if (how === 'max') return sorted[sorted.length - 1];
    const k = Math.max(1, Math.ceil(xs.length / 10));
    return sorted.slice(0, k).reduce((a, b) => a + b, 0) / k;
  };
  const stepScores = steps.map((s) => {
    if (method === 'progress') {
      return mode === 'difference'
        ? agg(s.policy.map((p, t) => beta * (p - s.reference[t])), tokenAggregation)
        : beta * (agg(s.policy, tokenAggregation) - agg(s.reference, tokenAggregation));
    }
    if (method === 'policy-logprob') return agg(s.policy, tokenAggregation);
    if (method === 'reference-logprob') return agg(s.reference, tokenAggregation);
    return agg(s.topkMean, tokenAggregation);
  });
  const certainty = method === 'self-certainty' || method === 'deepconf-tail' || method === 'deepconf-b10';
  // Random steps have both sides of one length, so every method's "unscored" is an empty step.
  const shown = stepScores.map((v, i) => (unscored === 'skip' && steps[i].policy.length === 0 ? null : v));
  const kept = stepScores.filter((_, i) => (!certainty && unscored === 'zero') || steps[i].policy.length > 0);
  const how = method === 'deepconf-tail' ? 'last' : method === 'deepconf-b10' ? 'bottom10' : stepAggregation;
  return { stepScores: shown, score: kept.length === 0 ? null : agg(kept, how) };
}

describe('scoreTrajectory against an independent implementation', () => {
  it('agrees on random trajectories for every method, aggregation and mode', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let trial = 0; trial < 40; trial++) {
      const steps = Array.from({ length: Math.floor(random() * 25) }, () => {
        const length = random() < 0.15 ? 0 : 1 + Math.floor(random() * 6);
        const draw = () => -Math.round(random() * 64) / 8;
        return {
          policy: Array.from({ length }, draw),
          reference: Array.from({ length }, draw),
          topkMean: Array.from({ length }, draw),
        };
      });
      const beta = [1, 0.5, 2][trial % 3];
      for (const method of SCORING_METHODS) {
        for (const tokenAggregation of TOKEN_AGGREGATIONS) {
          for (const stepAggregation of STEP_AGGREGATIONS) {
            for (const [mode, unscored] of [['difference', 'zero'], ['per-model', 'zero'], ['difference', 'skip'], ['per-model', 'skip']] as const) {
              const expected = naiveTrajectoryScore(steps, method, tokenAggregation, stepAggregation, mode, beta, unscored);
              const actual = scoreTrajectory(steps, { method, tokenAggregation, stepAggregation, mode, beta, unscored });
              expect(actual.stepScores.length).toBe(expected.stepScores.length);
              actual.stepScores.forEach((s, i) => (expected.stepScores[i] === null ? expect(s).toBeNull() : expect(s).toBeCloseTo(expected.stepScores[i] as number, 12)));
              if (expected.score === null) expect(actual.score).toBeNull();
              else expect(actual.score).toBeCloseTo(expected.score, 12);
            }
          }
        }
      }
    }
  });
});

describe('runningAdvantage', () => {
  it('is the cumulative sum', () => {
    expect(runningAdvantage([0.5, -1, 0.25, 0])).toEqual([0.5, -0.5, -0.25, -0.25]);
    expect(runningAdvantage([])).toEqual([]);
    expect(runningAdvantage([-2])).toEqual([-2]);
  });

  it('is null at an unscored step, which adds nothing', () => {
    expect(runningAdvantage([0.5, null, -1, null])).toEqual([0.5, null, -0.5, null]);
    expect(runningAdvantage([null, null])).toEqual([null, null]);
  });
});

describe('kStepAdvantage', () => {
  const scores = [0.5, -1, 0.25, 2, -0.75];

  it('k = 1 is the step scores themselves', () => {
    expect(kStepAdvantage(scores, 1)).toEqual(scores);
  });

  it('sums the k steps ending at each step, fewer at the start', () => {
    expect(kStepAdvantage(scores, 2)).toEqual([0.5, -0.5, -0.75, 2.25, 1.25]);
    expect(kStepAdvantage(scores, 3)).toEqual([0.5, -0.5, -0.25, 1.25, 1.5]);
  });

  it('windows over scored steps only, null at an unscored step', () => {
    expect(kStepAdvantage([0.5, null, -1, 0.25], 2)).toEqual([0.5, null, -0.5, -0.75]);
    expect(kStepAdvantage([null, 1], 1)).toEqual([null, 1]);
  });

  it('k ≥ the number of steps gives the running advantage', () => {
    expect(kStepAdvantage(scores, 5)).toEqual(runningAdvantage(scores));
    expect(kStepAdvantage(scores, 50)).toEqual(runningAdvantage(scores));
  });

  it('rejects k that is not a positive integer', () => {
    expect(() => kStepAdvantage(scores, 0)).toThrow(RangeError);
    expect(() => kStepAdvantage(scores, 1.5)).toThrow(RangeError);
  });
});
