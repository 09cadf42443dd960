/** Uncertainty quantification: the trajectory score read as a confidence of success. */

/** A statistic, or null with the reason it is undefined for these inputs. */
export type Statistic = { value: number; reason: null } | { value: null; reason: string };

function defined(value: number): Statistic {
  return { value, reason: null };
}

function undefinedBecause(reason: string): Statistic {
  return { value: null, reason };
}

/** 1-based ranks in ascending order of value; tied values share the average of their ranks. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    // Positions start..end−1 (0-based) hold ranks start+1..end; their average is (start + 1 + end) / 2.
    const sharedRank = (start + 1 + end) / 2;
    for (let j = start; j < end; j++) ranks[order[j]] = sharedRank;
    start = end;
  }
  return ranks;
}

function assertSameLength(a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length !== b.length) throw new RangeError(`${a.length} scores for ${b.length} labels`);
}

function assertFinite(values: readonly number[], what: string): void {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`${what}[${bad}] is not a finite number (${values[bad]})`);
}

/**
 * Area under the ROC curve of `scores` for `positives`: the probability that a random positive
 * scores above a random negative, ties counted one half. Computed from average ranks
 * (Mann–Whitney U); undefined when only one class is present.
 */
export function auroc(scores: readonly number[], positives: readonly boolean[]): Statistic {
  assertSameLength(scores, positives);
  assertFinite(scores, 'scores');
  const positiveCount = positives.filter(Boolean).length;
  const negativeCount = positives.length - positiveCount;
  if (positiveCount === 0 || negativeCount === 0) {
    return undefinedBecause(
      positives.length === 0
        ? 'no trajectories'
        : `only one class: all ${positives.length} trajectories ${positiveCount === 0 ? 'failed' : 'succeeded'}`,
    );
  }
  const ranks = averageRanks(scores);
  let positiveRankSum = 0;
  for (let i = 0; i < ranks.length; i++) if (positives[i]) positiveRankSum += ranks[i];
  const u = positiveRankSum - (positiveCount * (positiveCount + 1)) / 2;
  return defined(u / (positiveCount * negativeCount));
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i];
    meanY += y[i];
  }
  meanX /= n;
  meanY /= n;
  let covariance = 0;
  let varianceX = 0;
  let varianceY = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - meanX;
    const dy = y[i] - meanY;
    covariance += dx * dy;
    varianceX += dx * dx;
    varianceY += dy * dy;
  }
  return covariance / Math.sqrt(varianceX * varianceY);
}

/** Spearman's ρ: the Pearson correlation of the average ranks; undefined for n < 2 or a constant input. */
export function spearman(x: readonly number[], y: readonly number[]): Statistic {
  assertSameLength(x, y);
  assertFinite(x, 'x');
  assertFinite(y, 'y');
  if (x.length < 2) return undefinedBecause(`needs at least 2 trajectories, got ${x.length}`);
  const constant = (values: readonly number[]) => values.every((v) => v === values[0]);
  if (constant(x)) return undefinedBecause(`the scores are all equal (${x[0]})`);
  if (constant(y)) return undefinedBecause(`the rewards are all equal (${y[0]})`);
  const rho = pearson(averageRanks(x), averageRanks(y));
  // Rounding can push |ρ| a hair past 1 for perfectly monotone data.
  return defined(Math.max(-1, Math.min(1, rho)));
}

export interface RocPoint {
  /** False-positive rate at this threshold. */
  fpr: number;
  /** True-positive rate at this threshold. */
  tpr: number;
  /** Trajectories scoring ≥ threshold are called successes; null for the (0, 0) start, above every score. */
  threshold: number | null;
}

/**
 * ROC curve points for plotting: thresholds descending through the distinct scores, starting at
 * (0, 0) and ending at (1, 1); a group of tied scores moves in one diagonal segment. Null when only
 * one class is present.
 */
export function rocCurve(scores: readonly number[], positives: readonly boolean[]): RocPoint[] | null {
  assertSameLength(scores, positives);
  assertFinite(scores, 'scores');
  const positiveCount = positives.filter(Boolean).length;
  const negativeCount = positives.length - positiveCount;
  if (positiveCount === 0 || negativeCount === 0) return null;
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: null }];
  let truePositives = 0;
  let falsePositives = 0;
  let start = 0;
  while (start < order.length) {
    const threshold = scores[order[start]];
    let end = start;
    while (end < order.length && scores[order[end]] === threshold) {
      if (positives[order[end]]) truePositives++;
      else falsePositives++;
      end++;
    }
    points.push({ fpr: falsePositives / negativeCount, tpr: truePositives / positiveCount, threshold });
    start = end;
  }
  return points;
}
