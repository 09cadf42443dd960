import { describe, expect, it } from 'vitest';
import { evaluateRecords, instructiveTrajectory, type ParsedScoreRecord } from '../../../../src/core/scores';
import { DEFAULT_EVALUATION_SETTINGS } from '../../../../src/core/settings';

/** A record whose action steps (messages 1, 3, 5) have one token each with the given advantages. */
function record(id: string, advantages: number[], mistakeStep: number | null, reward = 0): ParsedScoreRecord['record'] {
  return {
    id,
    reward,
    mistakeStep,
    steps: advantages.map((a, i) => ({ message: 2 * i + 1, policy: [-1 + a], reference: [-1] })),
  } as ParsedScoreRecord['record'];
}

describe('the trajectory a first visit opens on', () => {
  it('is one whose predicted decisive step is its labelled mistake, the clearest first', () => {
    const records = [
      // Decisive step (lowest running advantage) at message 3, mistake labelled at 5: not instructive.
      record('miss', [0.1, -0.5, 0.2], 5),
      // Both at 3, a small drop.
      record('small', [0.1, -0.2, 0.1], 3),
      // Both at 5, a large drop: the clearest.
      record('clear', [0.2, 0.1, -0.9], 5),
      // No label.
      record('unlabelled', [0.1, -2, 0.1], null, 1),
    ];
    const report = evaluateRecords(records.map((r, i) => ({ line: i + 1, record: r })), DEFAULT_EVALUATION_SETTINGS);
    expect(instructiveTrajectory(report.trajectories, 'min_cumulative')?.id).toBe('clear');
    // Deterministic: the same pick whatever the order of the evaluations.
    expect(instructiveTrajectory([...report.trajectories].reverse(), 'min_cumulative')?.id).toBe('clear');
    expect(instructiveTrajectory(report.trajectories.filter((t) => t.id === 'miss'), 'min_cumulative')).toBeNull();
  });
});
