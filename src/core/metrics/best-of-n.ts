/** Best-of-N selection (test-time scaling): among the N trajectories of one task keep the highest score. */

export interface BestOfNCandidate {
  id: string;
  /** Trajectories without a task id form a group of their own each. */
  taskId: string | null | undefined;
  /**
   * The best-of-N group (`taskGroupKey`: the task within its source file, or the task across files);
   * absent: the task id; null: a group of its own.
   */
  group?: string | null;
  /** The trajectory score; a candidate without one (null) is never chosen and is left out of its group. */
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

/** The key of the best-of-N group of a trajectory of `taskId` read from `source` (a file), or null: a group of its own. */
export function taskGroupKey(taskId: string | null | undefined, source: string | null | undefined, grouping: TaskGrouping): string | null {
  if (taskId == null) return null;
  return JSON.stringify(grouping === 'task' || source == null ? [taskId] : [source, taskId]);
}

/**
 * How best-of-N groups form: `file-task` (default) the trajectories of one task within one source
 * file; `task` the trajectories of one task id across every file (merging files on purpose).
 */
export const TASK_GROUPINGS = ['file-task', 'task'] as const;
export type TaskGrouping = (typeof TASK_GROUPINGS)[number];

/**
 * Best-of-N over the candidates with a score (ties: the first in input order); null when none has
 * a score. Candidates without a score are left out (the caller reports them): best-of-N never
 * chooses on a missing score.
 */
export function bestOfN(allCandidates: readonly BestOfNCandidate[]): BestOfNResult | null {
  const candidates = allCandidates.filter((c) => c.score !== null);
  if (candidates.length === 0) return null;
  const groups = new Map<string | BestOfNCandidate, BestOfNCandidate[]>();
  for (const candidate of candidates) {
    const key = (candidate.group === undefined ? candidate.taskId : candidate.group) ?? candidate;
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
      if ((member.score as number) > (best.score as number)) best = member;
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
