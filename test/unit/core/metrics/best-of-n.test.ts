import { describe, expect, it } from 'vitest';
import { bestOfN, isSuccess, taskGroupKey, type BestOfNCandidate } from '../../../../src/core/metrics';

const candidate = (id: string, taskId: string | null, score: number | null, reward: number): BestOfNCandidate => ({
  id,
  taskId,
  score,
  reward,
});

describe('bestOfN', () => {
  it('computes every figure by hand', () => {
    const result = bestOfN([
      candidate('a1', 'A', 0.5, 0),
      candidate('a2', 'A', 0.75, 1), // chosen in A: success
      candidate('b1', 'B', -1, 1),
      candidate('b2', 'B', 2, 0), // chosen in B: failure
      candidate('b3', 'B', 1, 0),
      candidate('c1', 'C', 0, 0.5), // chosen in C: reward 0.5 is not a success
      candidate('c2', 'C', -0.5, 0),
    ]);
    expect(result).toEqual({
      groups: 3,
      n: 7,
      successRate: 1 / 3,
      meanReward: 0.5, // (1 + 0 + 0.5) / 3
      passAtN: 2 / 3, // A and B hold a success
      meanAtN: (1 / 2 + 1 / 3 + 0) / 3,
      chosen: [
        { taskId: 'A', id: 'a2', score: 0.75, reward: 1, candidates: 2 },
        { taskId: 'B', id: 'b2', score: 2, reward: 0, candidates: 3 },
        { taskId: 'C', id: 'c1', score: 0, reward: 0.5, candidates: 2 },
      ],
    });
  });

  it('ties go to the first in input order', () => {
    const result = bestOfN([candidate('x', 'T', 1, 0), candidate('y', 'T', 1, 1), candidate('z', 'T', 0.5, 1)]);
    expect(result?.chosen[0].id).toBe('x');
    expect(result?.successRate).toBe(0);
  });

  it('never chooses on a missing score: a trajectory without one is left out of its group', () => {
    const result = bestOfN([candidate('none', 'T', null, 1), candidate('low', 'T', -1e300, 0)]);
    expect(result?.chosen).toEqual([{ taskId: 'T', id: 'low', score: -1e300, reward: 0, candidates: 1 }]);
    expect(result).toMatchObject({ n: 1, passAtN: 0 });
    // A group with no score at all is no group; none at all: no result (it used to keep the first of the ties).
    expect(bestOfN([candidate('first', 'T', null, 0), candidate('second', 'T', null, 1)])).toBeNull();
    expect(bestOfN([candidate('a', 'A', 1, 1), candidate('b', 'B', null, 1)])?.groups).toBe(1);
  });

  it('groups by the given group key when there is one (one task in two files: two groups)', () => {
    const a0 = taskGroupKey('0', 'a.jsonl', 'file-task');
    const b0 = taskGroupKey('0', 'b.jsonl', 'file-task');
    const result = bestOfN([
      { id: 'x', taskId: '0', group: a0, score: 1, reward: 0 },
      { id: 'y', taskId: '0', group: b0, score: 0, reward: 1 },
      { id: 'z', taskId: '0', group: a0, score: 2, reward: 1 },
    ]);
    expect(result?.chosen.map((c) => [c.id, c.candidates])).toEqual([
      ['z', 2],
      ['y', 1],
    ]);
    const merged = bestOfN([
      { id: 'x', taskId: '0', group: taskGroupKey('0', 'a.jsonl', 'task'), score: 1, reward: 0 },
      { id: 'y', taskId: '0', group: taskGroupKey('0', 'b.jsonl', 'task'), score: 0, reward: 1 },
    ]);
    expect(merged?.groups).toBe(1);
  });

  it('taskGroupKey: the task within its source, or the task alone; null without a task id', () => {
    expect(taskGroupKey('0', 'a', 'file-task')).not.toBe(taskGroupKey('0', 'b', 'file-task'));
    expect(taskGroupKey('0', 'a', 'task')).toBe(taskGroupKey('0', 'b', 'task'));
    // Without a source (one score file) the two groupings agree.
    expect(taskGroupKey('0', null, 'file-task')).toBe(taskGroupKey('0', 'a', 'task'));
    expect(taskGroupKey(null, 'a', 'file-task')).toBeNull();
    expect(taskGroupKey(undefined, 'a', 'task')).toBeNull();
  });

  it('trajectories without a task id form a group of their own each', () => {
    const result = bestOfN([candidate('p', null, 1, 1), candidate('q', null, 2, 0), candidate('r', 'T', 0, 0)]);
    expect(result?.groups).toBe(3);
    expect(result?.chosen.map((c) => c.id)).toEqual(['p', 'q', 'r']);
    expect(result?.successRate).toBe(1 / 3);
  });

  it('groups follow first appearance even when interleaved', () => {
    const result = bestOfN([
      candidate('b1', 'B', 0, 0),
      candidate('a1', 'A', 0, 1),
      candidate('b2', 'B', 1, 1),
      candidate('a2', 'A', 1, 0),
    ]);
    expect(result?.chosen.map((c) => c.id)).toEqual(['b2', 'a2']);
    expect(result?.successRate).toBe(0.5);
    expect(result?.passAtN).toBe(1);
    expect(result?.meanAtN).toBe(0.5);
  });

  it('is null without candidates', () => {
    expect(bestOfN([])).toBeNull();
  });

  it('agrees with a brute-force implementation on random groups', () => {
    let seed = 3;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let trial = 0; trial < 300; trial++) {
      const candidates = Array.from({ length: 1 + Math.floor(random() * 20) }, (_, i) =>
        candidate(
          `t${i}`,
          random() < 0.1 ? null : `task${Math.floor(random() * 4)}`,
          random() < 0.1 ? null : Math.round(random() * 4) / 2,
          [0, 0.5, 1, 1.5][Math.floor(random() * 4)],
        ),
      );
      // Brute force: for each group, the member no other member beats strictly and none earlier ties.
      const keys: (string | BestOfNCandidate)[] = [];
      for (const c of candidates.filter((c) => c.score !== null)) {
        const key = c.taskId ?? c;
        if (!keys.includes(key)) keys.push(key);
      }
      const members = keys
        .map((key) => candidates.filter((c) => (c.taskId ?? c) === key && c.score !== null))
        .filter((group) => group.length > 0);
      if (members.length === 0) {
        expect(bestOfN(candidates)).toBeNull();
        continue;
      }
      const value = (c: BestOfNCandidate) => (c.score === null ? -Infinity : c.score);
      const chosen = members.map(
        (group) =>
          group.find((c, i) => group.every((other, j) => value(other) < value(c) || (value(other) === value(c) && j >= i))) as BestOfNCandidate,
      );
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const result = bestOfN(candidates);
      expect(result?.chosen.map((c) => c.id)).toEqual(chosen.map((c) => c.id));
      expect(result?.successRate).toBeCloseTo(mean(chosen.map((c) => (c.reward >= 1 ? 1 : 0))), 12);
      expect(result?.meanReward).toBeCloseTo(mean(chosen.map((c) => c.reward)), 12);
      expect(result?.passAtN).toBeCloseTo(mean(members.map((g) => (g.some((c) => c.reward >= 1) ? 1 : 0))), 12);
      expect(result?.meanAtN).toBeCloseTo(mean(members.map((g) => mean(g.map((c) => (c.reward >= 1 ? 1 : 0))))), 12);
    }
  });
});

describe('isSuccess', () => {
  it('is reward ≥ 1', () => {
    expect(isSuccess(1)).toBe(true);
    expect(isSuccess(1.5)).toBe(true);
    expect(isSuccess(0.999)).toBe(false);
    expect(isSuccess(0)).toBe(false);
  });
});
