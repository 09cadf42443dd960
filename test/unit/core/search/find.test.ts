import { describe, expect, it } from 'vitest';
import { findText, findTokens, parseTokenQuery, strongestTokens } from '../../../../src/core/search';
import type { ScoreStep } from '../../../../src/core/scores/format';
import type { Trajectory } from '../../../../src/core/trajectory/types';

const trajectory: Trajectory = {
  id: 't',
  format: 'openai-chat',
  messages: [
    { role: 'user', sourceRole: 'user', content: 'I want a Refund for my seat' },
    { role: 'assistant', sourceRole: 'assistant', content: 'Checking the refund policy. REFUND denied.', toolCalls: [{ name: 'refund_lookup', arguments: { seat: '12A' } }] },
    { role: 'tool', sourceRole: 'tool', content: '{"refund": false}', toolCallId: 'c1' },
  ],
  actionSteps: [1],
  labels: {},
  metadata: {},
};

const steps: ScoreStep[] = [
  { message: 1, policy: [-1, -6, -0.5, -3], reference: [-2, -2, -0.5, -1], entropy: [0.5, 4, 1, 3.5], tokens: ['a', 'b', 'c', 'd'] },
  { message: 3, policy: [-7, -0.1], reference: [-1, -0.2], tokens: ['e', 'f'] },
];

describe('search', () => {
  it('finds text case-insensitively in messages, tool calls and tool results, with context', () => {
    const { hits, total } = findText([{ key: 'k', trajectory }], 'REFUND');
    expect(total).toBe(5);
    expect(hits.map((h) => [h.message, h.place, h.offset, h.match])).toEqual([
      [0, 'message', 9, 'Refund'],
      [1, 'message', 13, 'refund'],
      [1, 'message', 28, 'REFUND'],
      [1, 'tool call', 0, 'refund'],
      [2, 'tool result', 2, 'refund'],
    ]);
    expect(hits[0]).toMatchObject({ before: 'I want a ', after: ' for my seat' });
    expect(findText([{ key: 'k', trajectory }], 'x'.repeat(3)).total).toBe(0);
    const limited = findText([{ key: 'k', trajectory }], 'refund', 2);
    expect([limited.hits.length, limited.total]).toEqual([2, 5]);
    expect(findText([{ key: 'k', trajectory: { ...trajectory, messages: [{ role: 'user', sourceRole: 'user', content: `${'w '.repeat(50)}needle${' z'.repeat(50)}` }] } }], 'needle').hits[0]).toMatchObject({
      before: `…${' w'.repeat(20)} `.replace(/^… /, '…'),
      match: 'needle',
    });
  });

  it('finds exactly the tokens whose figures satisfy the query, A read with β', () => {
    const text = (step: ScoreStep, i: number) => step.tokens![i];
    const found = findTokens([{ key: 'k', steps }], parseTokenQuery('A < -1'), 0.5, text);
    // A = 0.5·(policy − reference): 0.5, −2, 0, −1 | −3, 0.05.
    expect(found.hits.map((h) => [h.message, h.index, h.A])).toEqual([
      [1, 1, -2],
      [3, 0, -3],
    ]);
    expect(found.hits[0]).toMatchObject({ before: 'a', token: 'b', after: 'cd', logp_policy: -6, logp_reference: -2, entropy: 4 });
    const both = findTokens([{ key: 'k', steps }], parseTokenQuery('logp_policy < -2 and entropy > 3'), 1, text);
    expect(both.hits.map((h) => [h.message, h.index])).toEqual([
      [1, 1],
      [1, 3],
    ]);
    expect(findTokens([{ key: 'k', steps }], parseTokenQuery('A < 100'), 1, text, 3)).toMatchObject({ total: 6, hits: { length: 3 } });
  });

  it('picks the strongest negative and positive tokens with their place along the trajectory', () => {
    const { negative, positive } = strongestTokens(steps, 1, 2);
    expect(negative.map((m) => [m.message, m.index, m.A, m.position])).toEqual([
      [3, 0, -6, 4 / 5],
      [1, 1, -4, 1 / 5],
    ]);
    expect(positive.map((m) => [m.message, m.index])).toEqual([
      [1, 0],
      [3, 1],
    ]);
  });
});
