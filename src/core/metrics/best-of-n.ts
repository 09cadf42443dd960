/** Best-of-N selection (test-time scaling): among the N trajectories of one task keep the highest score. */

export interface BestOfNCandidate {
  id: string;
  /** Trajectories without a task id form a group of their own each. */
  taskId: string | null | undefined;
  /** The trajectory score; null (no action step) ranks below every number, as −∞. */
  score: number | null;
  reward: number;
}

export interface BestOfNChoice {
  taskId: string | null;
  id: string;
  score: number | null;
  reward: number;
  /** Trajectories in the group. */
  candidates: number;
}

export interface BestOfNResult {
  /** Number of groups (tasks). */
  groups: number;
  /** Trajectories taken part. */
  n: number;
  /** Fraction of groups whose chosen trajectory succeeded (reward ≥ 1). */
  successRate: number;
  /** Mean reward of the chosen trajectories. */
  meanReward: number;
  /** Oracle Pass@N: fraction of groups with at least one success. */
  passAtN: number;
  /** Mean@N (random choice): mean over groups of the group's success rate. */
  meanAtN: number;
  /** The chosen trajectory of each group, groups in order of first appearance. */
  chosen: BestOfNChoice[];
}

export const SUCCESS_REWARD = 1;

export function isSuccess(reward: number): boolean {
  return reward >= SUCCESS_REWARD;
}

/** Best-of-N over the candidates (ties: the first in input order); null when there are none. */
export function bestOfN(candidates: readonly BestOfNCandidate[]): BestOfNResult | null {
  if (candidates.length === 0) return null;
  const groups = new Map<string | BestOfNCandidate, BestOfNCandidate[]>();
  for (const candidate of candidates) {
    const key = candidate.taskId ?? candidate;
    const group = groups.get(key);
    if (group) group.push(candidate);
    else groups.set(key, [candidate]);
  }
  const chosen: BestOfNChoice[] = [];
  let successes = 0;
  let rewardSum = 0;
  let groupsWithSuccess = 0;
  let groupSuccessRateSum = 0;
  for (const members of groups.values()) {
    let best = members[0];
    for (const member of members) {
      if ((member.score ?? -Infinity) > (best.score ?? -Infinity)) best = member;
    }
    chosen.push({
      taskId: best.taskId ?? null,
      id: best.id,
      score: best.score,
      reward: best.reward,
      candidates: members.length,
    });
    if (isSuccess(best.reward)) successes++;
    rewardSum += best.reward;
    const memberSuccesses = members.filter((m) => isSuccess(m.reward)).length;
    if (memberSuccesses > 0) groupsWithSuccess++;
    groupSuccessRateSum += memberSuccesses / members.length;
  }
  const groupCount = groups.size;
  return {
    groups: groupCount,
    n: candidates.length,
    successRate: successes / groupCount,
    meanReward: rewardSum / groupCount,
    passAtN: groupsWithSuccess / groupCount,
    meanAtN: groupSuccessRateSum / groupCount,
    chosen,
  };
}
