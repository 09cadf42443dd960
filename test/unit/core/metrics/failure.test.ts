import { describe, expect, it } from 'vitest';
import {
  agentAttributionAccuracy,
  failureAttributionMetrics,
  FAILURE_PREDICTORS,
  isFailurePredictor,
  mistakePosition,
  predictFailurePosition,
  predictMinCumulative,
  predictSharpestAbsDrop,
  predictSharpestDrop,
} from '../../../../src/core/metrics';

describe('min_cumulative', () => {
  it('is the argmin of the running sum', () => {
    // running sums 0.5, −0.5, −0.25, −1.25, −0.25
    expect(predictMinCumulative([0.5, -1, 0.25, -1, 1])).toBe(3);
  });

  it('ties go to the earliest step', () => {
    // running sums 1, −1, −1, 0
    expect(predictMinCumulative([1, -2, 0, 1])).toBe(1);
  });

  it('all-positive scores: the first step (its running sum is the smallest)', () => {
    expect(predictMinCumulative([0.25, 0.5, 1])).toBe(0);
  });

  it('all-negative scores: the last step', () => {
    expect(predictMinCumulative([-0.25, -0.5, -1])).toBe(2);
  });

  it('single step and no step', () => {
    expect(predictMinCumulative([3])).toBe(0);
    expect(predictMinCumulative([])).toBeNull();
  });
});

describe('sharpest_drop', () => {
  it('is the argmin of the step score', () => {
    expect(predictSharpestDrop([0.5, -1, 0.25, -2, 1])).toBe(3);
  });

  it('ties go to the earliest step', () => {
    expect(predictSharpestDrop([0.5, -1, 0.25, -1])).toBe(1);
  });

  it('the first step when no score is negative, zeros included', () => {
    expect(predictSharpestDrop([0.5, 0.25, 1])).toBe(0);
    expect(predictSharpestDrop([0.5, 0, 1])).toBe(0);
  });

  it('all-negative scores: the lowest', () => {
    expect(predictSharpestDrop([-0.25, -2, -1])).toBe(1);
  });

  it('single step and no step', () => {
    expect(predictSharpestDrop([-3])).toBe(0);
    expect(predictSharpestDrop([])).toBeNull();
  });
});

describe('sharpest_abs_drop', () => {
  it('is the later step of the most negative consecutive change', () => {
    // changes: −1.5, 1.25, −2.25, 3
    expect(predictSharpestAbsDrop([0.5, -1, 0.25, -2, 1])).toBe(3);
  });

  it('ties go to the earliest', () => {
    // changes: −1, 1, −1
    expect(predictSharpestAbsDrop([1, 0, 1, 0])).toBe(1);
  });

  it('a change of exactly 0 counts as a drop', () => {
    // changes: 0, 1
    expect(predictSharpestAbsDrop([1, 1, 2])).toBe(1);
  });

  it('the first step when every change is positive', () => {
    expect(predictSharpestAbsDrop([-3, -2, -1, 0.5])).toBe(0);
  });

  it('the first step for fewer than two steps', () => {
    expect(predictSharpestAbsDrop([-5])).toBe(0);
    expect(predictSharpestAbsDrop([])).toBeNull();
  });

  it('all-positive scores with a drop still find it', () => {
    expect(predictSharpestAbsDrop([2, 3, 0.5, 1])).toBe(2);
  });
});

/**
 * An independent port of the reference code's predictors (runners/fa.py): rewards over ALL
 * messages with 0 at non-action messages, a validity mask, and message indices out.
 */
function referencePrediction(rewards: number[], valid: boolean[], predictor: string): number {
  const validIdx = valid.flatMap((ok, i) => (ok ? [i] : []));
  if (predictor === 'min_cumulative') {
    let cum = 0;
    let bestI = -1;
    let bestV = Infinity;
    rewards.forEach((r, i) => {
      cum += r;
      if (valid[i] && cum < bestV) {
        bestI = i;
        bestV = cum;
      }
    });
    return bestI < 0 ? (validIdx[0] ?? 0) : bestI;
  }
  if (validIdx.length === 0) return 0;
  const smallest = validIdx[0];
  if (predictor === 'sharpest_drop') {
    if (validIdx.every((i) => rewards[i] >= 0)) return smallest;
    let bestI = -1;
    let bestV = Infinity;
    for (const i of validIdx) {
      if (rewards[i] < bestV) {
        bestI = i;
        bestV = rewards[i];
      }
    }
    return bestI;
  }
  if (validIdx.length < 2) return smallest;
  let bestI = -1;
  let bestV = Infinity;
  let anyNonPositive = false;
  for (let j = 1; j < validIdx.length; j++) {
    const delta = rewards[validIdx[j]] - rewards[validIdx[j - 1]];
    if (delta <= 0) anyNonPositive = true;
    if (delta < bestV) {
      bestI = validIdx[j];
      bestV = delta;
    }
  }
  return anyNonPositive ? bestI : smallest;
}

describe('predictors against the reference code’s formulation', () => {
  it('agree on random trajectories with ties and interleaved non-action messages', () => {
    let seed = 11;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let trial = 0; trial < 2000; trial++) {
      const messageCount = 1 + Math.floor(random() * 12);
      const valid = Array.from({ length: messageCount }, () => random() < 0.5);
      // Coarse values so that ties are frequent.
      const rewards = valid.map((ok) => (ok ? Math.round(random() * 8 - 4) / 4 : 0));
      const stepMessages = valid.flatMap((ok, i) => (ok ? [i] : []));
      const stepScores = stepMessages.map((m) => rewards[m]);
      for (const predictor of FAILURE_PREDICTORS) {
        const position = predictFailurePosition(stepScores, predictor);
        if (stepMessages.length === 0) {
          expect(position).toBeNull();
          continue;
        }
        expect(stepMessages[position as number], `${predictor} ${JSON.stringify(rewards)} ${JSON.stringify(valid)}`).toBe(
          referencePrediction(rewards, valid, predictor),
        );
      }
    }
  });
});

describe('mistakePosition', () => {
  const stepMessages = [1, 3, 5, 7];

  it('is the position of the mistake when it is an action step', () => {
    expect(mistakePosition(stepMessages, 1)).toBe(0);
    expect(mistakePosition(stepMessages, 5)).toBe(2);
  });

  it('maps a non-action message to the last action step before it', () => {
    expect(mistakePosition(stepMessages, 4)).toBe(1);
    expect(mistakePosition(stepMessages, 100)).toBe(3);
  });

  it('is −1 before the first action step', () => {
    expect(mistakePosition(stepMessages, 0)).toBe(-1);
  });
});

describe('failureAttributionMetrics', () => {
  // Case A: steps at messages 1, 3, 5, 7, scores 0.5, −1, −0.25, −0.5 (running sums 0.5, −0.5, −0.75,
  //   −1.25). Mistake: message 5, position 2.
  // Case B: steps at messages 0, 2, 4, 6, 8; all scores positive → every predictor: position 0 (message 0).
  //   Mistake: message 5 (not an action step) → position 2 (message 4, the last action step before it).
  // Case C: no action step → not counted.
  const cases = [
    { stepMessages: [1, 3, 5, 7], stepScores: [0.5, -1, -0.25, -0.5], mistakeStep: 5 },
    { stepMessages: [0, 2, 4, 6, 8], stepScores: [1, 2, 3, 4, 5], mistakeStep: 5 },
    { stepMessages: [], stepScores: [], mistakeStep: 3 },
  ];
  // Check the premises of the hand computation.
  it('premises', () => {
    expect(predictMinCumulative(cases[0].stepScores)).toBe(3); // running: 0.5, −0.5, −0.75, −1.25
  });

  it('computes accuracy, within ±1 / ±2 (action-step positions) and MAE (message indices) by hand', () => {
    // min_cumulative: A → position 3 (message 7): exact no, |3 − 2| = 1, |7 − 5| = 2.
    //                 B → position 0 (message 0): exact no, |0 − 2| = 2, |0 − 5| = 5.
    expect(failureAttributionMetrics(cases, 'min_cumulative')).toEqual({
      accuracy: 0,
      within1: 0.5,
      within2: 1,
      mae: 3.5,
      n: 2,
    });
    // sharpest_drop: A → position 1 (−1; message 3): |1 − 2| = 1, |3 − 5| = 2. B → position 0 as above.
    expect(failureAttributionMetrics(cases, 'sharpest_drop')).toEqual({
      accuracy: 0,
      within1: 0.5,
      within2: 1,
      mae: 3.5,
      n: 2,
    });
    // sharpest_abs_drop: A changes −1.5, 0.75, −0.25 → position 1 (message 3). B: no drop → position 0.
    expect(failureAttributionMetrics(cases, 'sharpest_abs_drop')).toEqual({
      accuracy: 0,
      within1: 0.5,
      within2: 1,
      mae: 3.5,
      n: 2,
    });
  });

  it('counts exact hits and distant misses', () => {
    const exact = { stepMessages: [2, 4, 6, 8, 10], stepScores: [1, 1, -3, 1, 1], mistakeStep: 6 };
    const far = { stepMessages: [2, 4, 6, 8, 10], stepScores: [1, 1, 1, 1, -5], mistakeStep: 2 };
    // exact: every predictor position 2 → message 6. far: sharpest_drop → position 4 (message 10), 4 steps away.
    expect(failureAttributionMetrics([exact, far], 'sharpest_drop')).toEqual({
      accuracy: 0.5,
      within1: 0.5,
      within2: 0.5,
      mae: 4,
      n: 2,
    });
  });

  it('is null when no case has an action step', () => {
    expect(failureAttributionMetrics([], 'min_cumulative')).toBeNull();
    expect(failureAttributionMetrics([cases[2]], 'min_cumulative')).toBeNull();
  });

  it('rejects scores that do not match the steps', () => {
    expect(() => failureAttributionMetrics([{ stepMessages: [1, 2], stepScores: [1], mistakeStep: 1 }], 'min_cumulative')).toThrow(
      RangeError,
    );
  });
});

describe('agentAttributionAccuracy', () => {
  it('compares the predicted step’s agent with mistakeAgent; a step without a name never matches', () => {
    const cases = [
      { stepAgents: ['Planner', 'Coder', 'Planner'], stepScores: [1, -2, 1], mistakeAgent: 'Coder' }, // → Coder ✓
      { stepAgents: ['Planner', 'Coder', 'Planner'], stepScores: [-2, 1, 1], mistakeAgent: 'Coder' }, // → Planner ✗
      { stepAgents: [undefined, null, 'Coder'], stepScores: [1, -2, 1], mistakeAgent: 'Coder' }, // → no name ✗
      { stepAgents: [], stepScores: [], mistakeAgent: 'Coder' }, // no step: not counted
    ];
    expect(agentAttributionAccuracy(cases, 'sharpest_drop')).toEqual({ accuracy: 1 / 3, n: 3 });
    expect(agentAttributionAccuracy([cases[3]], 'sharpest_drop')).toBeNull();
  });
});

describe('predictor names', () => {
  it('are the reference code’s', () => {
    expect(FAILURE_PREDICTORS).toEqual(['min_cumulative', 'sharpest_drop', 'sharpest_abs_drop']);
    expect(isFailurePredictor('sharpest_drop')).toBe(true);
    expect(isFailurePredictor('sharpest')).toBe(false);
  });
});
