import { describe, expect, it } from 'vitest';
import { auroc, averageRanks, rocCurve, spearman } from '../../../../src/core/metrics';

let seed = 5;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

/** Brute force: over every (positive, negative) pair, 1 when the positive scores higher, ½ on a tie. */
function pairCountingAuroc(scores: number[], positives: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!positives[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positives[j]) continue;
      pairs++;
      if (scores[i] > scores[j]) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

/** Naive average rank: 1 + (number of smaller values) + (number of other equal values) / 2. */
function naiveRanks(values: number[]): number[] {
  return values.map((v) => {
    const smaller = values.filter((w) => w < v).length;
    const equal = values.filter((w) => w === v).length;
    return smaller + (equal + 1) / 2;
  });
}

function naiveSpearman(x: number[], y: number[]): number {
  const rx = naiveRanks(x);
  const ry = naiveRanks(y);
  const n = x.length;
  const mx = rx.reduce((a, b) => a + b, 0) / n;
  const my = ry.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx) / Math.sqrt(syy);
}

describe('averageRanks', () => {
  it('gives tied values the average of their ranks', () => {
    expect(averageRanks([10, 20, 20, 5, 20])).toEqual([2, 4, 4, 1, 4]);
    expect(averageRanks([1, 1])).toEqual([1.5, 1.5]);
    expect(averageRanks([-1])).toEqual([1]);
    expect(averageRanks([])).toEqual([]);
  });
});

describe('auroc', () => {
  it('computes a small case by hand', () => {
    // positives 0.9, 0.4; negatives 0.5, 0.4, 0.1 → pairs: (0.9: 1, 1, 1), (0.4: 0, ½, 1) → 4.5 / 6
    expect(auroc([0.9, 0.5, 0.4, 0.4, 0.1], [true, false, true, false, false])).toEqual({ value: 0.75, reason: null });
  });

  it('is 1 for perfect separation, 0 for reversed, ½ when every score ties', () => {
    expect(auroc([3, 2, 1], [true, true, false]).value).toBe(1);
    expect(auroc([1, 2, 3], [true, true, false]).value).toBe(0);
    expect(auroc([0, 0, 0, 0], [true, false, true, false]).value).toBe(0.5);
  });

  it('is undefined with only one class present', () => {
    expect(auroc([1, 2], [true, true])).toEqual({ value: null, reason: 'only one class: all 2 trajectories succeeded' });
    expect(auroc([1, 2, 3], [false, false, false])).toEqual({ value: null, reason: 'only one class: all 3 trajectories failed' });
    expect(auroc([], [])).toEqual({ value: null, reason: 'no trajectories' });
  });

  it('agrees with pair counting on random data with many ties', () => {
    for (let trial = 0; trial < 500; trial++) {
      const n = 2 + Math.floor(random() * 30);
      const scores = Array.from({ length: n }, () => Math.floor(random() * 6) / 2 - 1);
      const positives = Array.from({ length: n }, () => random() < 0.4);
      const result = auroc(scores, positives);
      if (positives.every(Boolean) || !positives.some(Boolean)) expect(result.value).toBeNull();
      else expect(result.value).toBeCloseTo(pairCountingAuroc(scores, positives), 12);
    }
  });

  it('rejects non-finite scores and mismatched lengths', () => {
    expect(() => auroc([NaN, 1], [true, false])).toThrow(RangeError);
    expect(() => auroc([1], [true, false])).toThrow(RangeError);
  });
});

describe('rocCurve', () => {
  it('walks thresholds downwards from (0, 0) to (1, 1), ties as one diagonal segment', () => {
    const points = rocCurve([0.9, 0.5, 0.4, 0.4, 0.1], [true, false, true, false, false]);
    expect(points).toEqual([
      { fpr: 0, tpr: 0, threshold: null },
      { fpr: 0, tpr: 0.5, threshold: 0.9 },
      { fpr: 1 / 3, tpr: 0.5, threshold: 0.5 },
      { fpr: 2 / 3, tpr: 1, threshold: 0.4 }, // one positive and one negative at 0.4: a diagonal step
      { fpr: 1, tpr: 1, threshold: 0.1 },
    ]);
  });

  it('all scores tied: one diagonal from (0, 0) to (1, 1)', () => {
    expect(rocCurve([2, 2, 2], [true, false, false])).toEqual([
      { fpr: 0, tpr: 0, threshold: null },
      { fpr: 1, tpr: 1, threshold: 2 },
    ]);
  });

  it('is null with only one class', () => {
    expect(rocCurve([1, 2], [false, false])).toBeNull();
  });

  it('its trapezoid area equals the AUROC on random data', () => {
    for (let trial = 0; trial < 300; trial++) {
      const n = 2 + Math.floor(random() * 25);
      const scores = Array.from({ length: n }, () => Math.floor(random() * 5));
      const positives = Array.from({ length: n }, (_, i) => (i === 0 ? true : i === 1 ? false : random() < 0.5));
      const points = rocCurve(scores, positives);
      if (points === null) throw new Error('both classes are present');
      expect(points[0]).toEqual({ fpr: 0, tpr: 0, threshold: null });
      expect(points[points.length - 1]).toMatchObject({ fpr: 1, tpr: 1 });
      let area = 0;
      for (let i = 1; i < points.length; i++) {
        expect(points[i].threshold as number).toBeLessThan((points[i - 1].threshold ?? Infinity) as number);
        area += ((points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr)) / 2;
      }
      expect(area).toBeCloseTo(auroc(scores, positives).value as number, 12);
    }
  });
});

describe('spearman', () => {
  it('is ±1 for monotone data, whatever the spacing', () => {
    expect(spearman([1, 2, 3, 4], [10, 100, 1000, 10000])).toEqual({ value: 1, reason: null });
    expect(spearman([1, 2, 3, 4], [0, -1, -5, -6])).toEqual({ value: -1, reason: null });
  });

  it('computes a tied case by hand', () => {
    // x ranks: 1, 2.5, 2.5, 4; y ranks: 1.5, 1.5, 3, 4; deviations from 2.5: (−1.5, 0, 0, 1.5), (−1, −1, 0.5, 1.5)
    // Σdxdy = 1.5 + 0 + 0 + 2.25 = 3.75; Σdx² = 4.5; Σdy² = 1 + 1 + 0.25 + 2.25 = 4.5 → ρ = 3.75 / 4.5
    expect(spearman([1, 2, 2, 3], [0, 0, 0.5, 1]).value).toBeCloseTo(3.75 / 4.5, 15);
  });

  it('is undefined for a constant input or fewer than two values', () => {
    expect(spearman([1, 1, 1], [0, 1, 2])).toEqual({ value: null, reason: 'the scores are all equal (1)' });
    expect(spearman([0, 1, 2], [1, 1, 1])).toEqual({ value: null, reason: 'the rewards are all equal (1)' });
    expect(spearman([1], [1])).toEqual({ value: null, reason: 'needs at least 2 trajectories, got 1' });
    expect(spearman([], [])).toEqual({ value: null, reason: 'needs at least 2 trajectories, got 0' });
  });

  it('agrees with naive ranks + Pearson on random data with ties', () => {
    for (let trial = 0; trial < 500; trial++) {
      const n = 2 + Math.floor(random() * 30);
      const x = Array.from({ length: n }, () => Math.floor(random() * 7) - 3);
      const y = Array.from({ length: n }, () => Math.floor(random() * 3) / 2);
      const constant = (v: number[]) => v.every((w) => w === v[0]);
      const result = spearman(x, y);
      if (constant(x) || constant(y)) expect(result.value).toBeNull();
      else expect(result.value).toBeCloseTo(naiveSpearman(x, y), 12);
    }
  });
});
