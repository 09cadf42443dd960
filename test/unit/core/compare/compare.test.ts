import { describe, expect, it } from 'vitest';
import { alignFromSharedPrefix, alignScorings, alignStepTokens, compareDecisiveSteps, pairStepSeries, stepTokenAdvantages, tokenSpans } from '../../../../src/core/compare';

// The demo's "lookup order" step as the chat and the plain renderings tokenize it (score files of `score --preset demo`).
const CHAT = ['assistant', ':', ' lookup', ' order', '\n'];
const PLAIN = ['\n', '<unk>', 'assistant', '<unk>', ':', ' lookup', ' order'];

describe('alignStepTokens', () => {
  it('pairs identical tokenizations index by index, with A − B per token', () => {
    const alignment = alignStepTokens('lookup order', { message: 2, texts: CHAT, advantages: [1, 2, 3, 4, 5] }, { message: 2, texts: CHAT, advantages: [0.5, 2, 4, 3, -1] });
    expect(alignment.kind).toBe('same-tokens');
    expect(alignment.pairs.map((p) => [p.a, p.b, p.difference])).toEqual([
      [0, 0, 0.5],
      [1, 1, 0],
      [2, 2, -1],
      [3, 3, 1],
      [4, 4, 6],
    ]);
    expect(alignment.pairOfA).toEqual([0, 1, 2, 3, 4]);
  });

  it('matches two renderings on the characters of the message text, leaving the renderers’ own tokens out', () => {
    // By hand: chat "assistant: lookup order\n", the text starts at 11; plain "\n<unk>assistant<unk>: lookup order", at 22.
    // " lookup" covers [-1, 6) in both, " order" [6, 12); chat's ":" is [-2, -1) and plain's ":" too, but it lies wholly before the text.
    const alignment = alignStepTokens('lookup order', { message: 2, texts: CHAT, advantages: [0.1, 0.2, 0.3, 0.4, 0.5] }, { message: 2, texts: PLAIN, advantages: [1, 2, 3, 4, 5, 6, 7] });
    expect(alignment.kind).toBe('by-characters');
    expect(alignment.pairs).toEqual([
      { a: 2, b: 5, start: -1, end: 6, text: ' lookup', advantageA: 0.3, advantageB: 6, difference: 0.3 - 6 },
      { a: 3, b: 6, start: 6, end: 12, text: ' order', advantageA: 0.4, advantageB: 7, difference: 0.4 - 7 },
    ]);
    expect(alignment.pairOfA).toEqual([-1, -1, 0, 1, -1]);
    expect(alignment.pairOfB).toEqual([-1, -1, -1, -1, -1, 0, 1]);
  });

  it('does not pair tokens that cover the same characters but split them differently', () => {
    const alignment = alignStepTokens('lookup order', { message: 0, texts: ['look', 'up', ' order'], advantages: [1, 2, 3] }, { message: 0, texts: ['lookup', ' ord', 'er'], advantages: [4, 5, 6] });
    expect(alignment.kind).toBe('by-characters');
    expect(alignment.pairs).toEqual([]);
  });

  it('says why a step cannot be aligned', () => {
    expect(alignStepTokens('x', { message: 1, texts: ['a'], advantages: [1] }, null)).toMatchObject({ kind: 'one-side', reason: 'only scoring A scored this step', pairOfA: [-1] });
    expect(alignStepTokens('x', { message: 1, texts: ['a'], advantages: null }, { message: 1, texts: ['a'], advantages: [1] }).reason).toMatch(/scoring A has step-level scores only/);
    expect(alignStepTokens('zzz', { message: 1, texts: ['a', 'b'], advantages: [1, 2] }, { message: 1, texts: ['ab', 'c'], advantages: [1, 2] }).reason).toBe(
      "the two scorings' token texts differ and the message's text is not found in both",
    );
    expect(alignStepTokens('x', { message: 1, texts: null, advantages: [1] }, { message: 1, texts: ['a'], advantages: [1] }).reason).toBe('scoring A carries no token texts');
  });

  it('falls back to the whole rendering when the message text is not in it but both renderings read the same', () => {
    const alignment = alignStepTokens('not there', { message: 0, texts: ['ab', 'c'], advantages: [1, 2] }, { message: 0, texts: ['a', 'b', 'c'], advantages: [5, 6, 7] });
    expect(alignment.pairs.map((p) => [p.a, p.b, p.start, p.end, p.difference])).toEqual([[1, 2, 2, 3, -5]]);
  });
});

describe('alignScorings', () => {
  it('aligns every step either side scored and counts the shared tokens', () => {
    const alignment = alignScorings(
      ['s', 'u', 'lookup order', 't', 'ask'],
      [{ message: 2, texts: CHAT, advantages: [0, 0, 1, 1, 0] }],
      [{ message: 2, texts: PLAIN, advantages: [0, 0, 0, 0, 0, 0.5, 2] }, { message: 4, texts: ['ask'], advantages: [1] }],
    );
    expect(alignment.steps.map((s) => [s.message, s.kind])).toEqual([
      [2, 'by-characters'],
      [4, 'one-side'],
    ]);
    expect(alignment.sharedTokens).toBe(2);
    expect(alignment.tokenizationsDiffer).toBe(true);
    expect(alignment.steps[0].pairs.map((p) => p.difference)).toEqual([0.5, -1]);
  });
});

describe('tokenSpans', () => {
  it('lays the texts end to end', () => expect(tokenSpans(['ab', '', 'c'])).toEqual([[0, 2], [2, 2], [2, 3]]));
});

describe('step series and decisive steps', () => {
  it('pairs steps by message, unscored or missing as null', () => {
    expect(pairStepSeries({ messages: [2, 4, 6], scores: [1, null, -2] }, { messages: [2, 6, 8], scores: [0.5, -1, 3] })).toEqual([
      { message: 2, a: 1, b: 0.5, difference: 0.5 },
      { message: 4, a: null, b: null, difference: null },
      { message: 6, a: -2, b: -1, difference: -1 },
      { message: 8, a: null, b: 3, difference: null },
    ]);
  });

  it('names both decisive steps, or says they are the same', () => {
    expect(compareDecisiveSteps(6, 6)).toEqual({ a: 6, b: 6, same: true, summary: 'same decisive step (message 6)' });
    expect(compareDecisiveSteps(6, 8)).toEqual({ a: 6, b: 8, same: false, summary: 'A: message 6 · B: message 8' });
    expect(compareDecisiveSteps(null, 2).summary).toBe('A: none · B: message 2');
  });

  it('computes token advantages β·(π_θ − π_ref), none for step-level scores', () => {
    expect(stepTokenAdvantages({ policy: [-1, -2], reference: [-1.5, -1] }, 0.5)).toEqual([0.25, -0.5]);
    expect(stepTokenAdvantages({ policy: [-1, -2], reference: [-3] }, 0.5)).toBeNull();
    expect(stepTokenAdvantages({ policy: [-1], reference: [-3] }, 0.5, false)).toBeNull();
  });
});

describe('alignFromSharedPrefix', () => {
  it('shows the shared messages once, then the branches row by row', () => {
    const alignment = alignFromSharedPrefix(['s', 'u', 'a', 't', 'x'], ['s', 'u', 'b'], (x, y) => x === y);
    expect(alignment.sharedCount).toBe(2);
    expect(alignment.identical).toBe(false);
    expect(alignment.rows).toEqual([
      { kind: 'shared', message: 0 },
      { kind: 'shared', message: 1 },
      { kind: 'branch', a: 2, b: 2 },
      { kind: 'branch', a: 3, b: null },
      { kind: 'branch', a: 4, b: null },
    ]);
  });

  it('handles a prefix and identical trajectories', () => {
    expect(alignFromSharedPrefix(['s'], ['s', 'u'], (x, y) => x === y).rows).toEqual([
      { kind: 'shared', message: 0 },
      { kind: 'branch', a: null, b: 1 },
    ]);
    expect(alignFromSharedPrefix(['s'], ['s'], (x, y) => x === y)).toEqual({ sharedCount: 1, identical: true, rows: [{ kind: 'shared', message: 0 }] });
  });
});
