import { describe, expect, it } from 'vitest';
import { bestOfN, isSuccess, type BestOfNCandidate } from '../../../../src/core/metrics';

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

  it('a trajectory without a score ranks below every number, −∞ included', () => {
    const result = bestOfN([candidate('none', 'T', null, 1), candidate('low', 'T', -1e300, 0)]);
    expect(result?.chosen[0].id).toBe('low');
    const allUnscored = bestOfN([candidate('first', 'T', null, 0), candidate('second', 'T', null, 1)]);
    expect(allUnscored?.chosen[0]).toEqual({ taskId: 'T', id: 'first', score: null, reward: 0, candidates: 2 });
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
      for (const c of candidates) {
        const key = c.taskId ?? c;
        if (!keys.includes(key)) keys.push(key);
      }
      const members = keys.map((key) => candidates.filter((c) => (c.taskId ?? c) === key));
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
