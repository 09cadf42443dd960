import { describe, expect, it } from 'vitest';
import { DEFAULT_LIST_FILTERS, visibleKeys } from '../../../src/state/list-view';
import type { LoadedTrajectory } from '../../../src/state/store';
import type { TrajectoryEvaluation } from '../../../src/core/scores/evaluate';
import type { Trajectory } from '../../../src/core/trajectory/types';

function entry(key: string, fileId: number, t: Partial<Trajectory>): LoadedTrajectory {
  return {
    key,
    fileId,
    fileName: `f${fileId}`,
    index: 0,
    trajectory: { id: key, format: 'openai-chat', messages: [], actionSteps: [], labels: {}, metadata: {}, ...t },
  };
}

const trajectories = {
  a: entry('a', 1, { taskId: 'refund', labels: { success: true, reward: 1 }, messages: [{ role: 'user', sourceRole: 'user', content: 'Refund my flight' }] }),
  b: entry('b', 1, { taskId: 'refund', labels: { success: false, reward: 0, mistakeStep: 2 } }),
  c: entry('c', 2, { format: 'who-and-when', taskId: 'gaia-7', labels: { success: false, mistakeStep: 1 }, messages: [{ role: 'assistant', sourceRole: 'assistant', content: '', toolCalls: [{ name: 'web_search', arguments: { q: 'Yosemite' } }] }] }),
  d: entry('d', 2, {}),
};
const order = ['a', 'b', 'c', 'd'];
const evaluation = (score: number | null) => ({ score }) as TrajectoryEvaluation;
const scores = new Map([
  ['a', evaluation(0.5)],
  ['b', evaluation(-1)],
  ['c', evaluation(0.5)],
]);

describe('visibleKeys', () => {
  it('keeps everything in load order by default', () => {
    expect(visibleKeys(order, trajectories, DEFAULT_LIST_FILTERS, scores)).toEqual(['a', 'b', 'c', 'd']);
  });
  it('filters by file, format, task, outcome and labelled mistake', () => {
    const f = DEFAULT_LIST_FILTERS;
    expect(visibleKeys(order, trajectories, { ...f, fileId: 2 }, scores)).toEqual(['c', 'd']);
    expect(visibleKeys(order, trajectories, { ...f, format: 'who-and-when' }, scores)).toEqual(['c']);
    expect(visibleKeys(order, trajectories, { ...f, task: 'REF' }, scores)).toEqual(['a', 'b']);
    expect(visibleKeys(order, trajectories, { ...f, outcome: 'failure' }, scores)).toEqual(['b', 'c']);
    expect(visibleKeys(order, trajectories, { ...f, outcome: 'unlabelled' }, scores)).toEqual(['d']);
    expect(visibleKeys(order, trajectories, { ...f, mistake: 'labelled' }, scores)).toEqual(['b', 'c']);
  });
  it('searches message text and tool calls, case-insensitively', () => {
    expect(visibleKeys(order, trajectories, { ...DEFAULT_LIST_FILTERS, search: 'refund MY' }, scores)).toEqual(['a']);
    expect(visibleKeys(order, trajectories, { ...DEFAULT_LIST_FILTERS, search: 'yosemite' }, scores)).toEqual(['c']);
    expect(visibleKeys(order, trajectories, { ...DEFAULT_LIST_FILTERS, search: 'web_search' }, scores)).toEqual(['c']);
  });
  it('sorts by score with ties in load order and unscored last', () => {
    expect(visibleKeys(order, trajectories, { ...DEFAULT_LIST_FILTERS, sort: 'score-desc' }, scores)).toEqual(['a', 'c', 'b', 'd']);
    expect(visibleKeys(order, trajectories, { ...DEFAULT_LIST_FILTERS, sort: 'score-asc' }, scores)).toEqual(['b', 'a', 'c', 'd']);
  });
});
