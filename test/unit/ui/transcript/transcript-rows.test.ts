import { describe, expect, it } from 'vitest';
import { displayTokenText, rowSpanOf, tokenRowBounds, transcriptRows } from '../../../../src/ui/transcript/transcript-rows';
import type { ScoreStep } from '../../../../src/core/scores/format';

const step = (message: number, tokens: string[]): ScoreStep => ({ message, policy: tokens.map(() => -1), reference: tokens.map(() => -1), tokens });

describe('tokenRowBounds', () => {
  it('cuts at the row limit when no newline is near', () => {
    expect(tokenRowBounds(Array.from({ length: 10 }, () => 'a'), 4)).toEqual([
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
  });
  it('ends a row after a newline token near the limit', () => {
    const tokens = ['a', 'b\n', 'c', 'd', 'e', 'f'];
    expect(tokenRowBounds(tokens, 4)).toEqual([
      [0, 2],
      [2, 6],
    ]);
  });
  it('covers every token exactly once for a long step', () => {
    const tokens = Array.from({ length: 100_000 }, (_, i) => (i % 37 === 0 ? 'x\n' : 'y'));
    const bounds = tokenRowBounds(tokens);
    expect(bounds[0][0]).toBe(0);
    expect(bounds.at(-1)![1]).toBe(100_000);
    for (let i = 1; i < bounds.length; i++) expect(bounds[i][0]).toBe(bounds[i - 1][1]);
    expect(Math.max(...bounds.map(([s, e]) => e - s))).toBeLessThanOrEqual(120);
  });
});

describe('transcriptRows', () => {
  it('gives unscored messages one row and scored steps token rows', () => {
    const rows = transcriptRows(3, new Map([[1, step(1, ['a', 'b', 'c'])]]), 2);
    expect(rows).toEqual([
      { kind: 'message', message: 0 },
      { kind: 'tokens', message: 1, start: 0, end: 2, first: true, last: false },
      { kind: 'tokens', message: 1, start: 2, end: 3, first: false, last: true },
      { kind: 'message', message: 2 },
    ]);
  });
  it('shows a step that was not scored (empty arrays) as its message', () => {
    expect(transcriptRows(1, new Map([[0, step(0, [])]]))).toEqual([{ kind: 'message', message: 0 }]);
  });
});

describe('rowSpanOf', () => {
  const rows = transcriptRows(4, new Map([[1, step(1, ['a', 'b', 'c', 'd', 'e'])]]), 2);
  it('spans every row of a step, and one row for a token', () => {
    expect(rowSpanOf(rows, (r) => r.message === 1)).toEqual({ first: 1, last: 3 });
    expect(rowSpanOf(rows, (r) => r.kind === 'tokens' && r.message === 1 && 3 >= r.start && 3 < r.end)).toEqual({ first: 2, last: 2 });
    expect(rowSpanOf(rows, (r) => r.message === 3)).toEqual({ first: 5, last: 5 });
  });
  it('is null when no row matches (a step of another trajectory, rows not built yet)', () => {
    expect(rowSpanOf(rows, (r) => r.message === 9)).toBeNull();
    expect(rowSpanOf([], () => true)).toBeNull();
  });
});

describe('displayTokenText', () => {
  it('makes spaces, tabs and newlines visible on demand', () => {
    expect(displayTokenText(' a\tb\n', true)).toBe('·a→b↵\n');
    expect(displayTokenText(' a\tb\n', false)).toBe(' a\tb\n');
  });
});
