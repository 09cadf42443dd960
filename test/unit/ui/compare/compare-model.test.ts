import { describe, expect, it } from 'vitest';
import { compareScorings, stepChartGeometry } from '../../../../src/ui/compare/compare-model';
import { DEFAULT_EVALUATION_OPTIONS } from '../../../../src/core/scores/evaluate';
import type { ScoreRecord } from '../../../../src/core/scores/format';

const options = { ...DEFAULT_EVALUATION_OPTIONS, beta: 0.5, tokenAggregation: 'sum' as const, stepAggregation: 'sum' as const };

// Two renderings of one trajectory: step 2 "lookup order", step 4 "ask customer" (chat vs plain tokens).
const chat: ScoreRecord = {
  id: 't',
  steps: [
    { message: 2, policy: [-1, -1, -2, -3, -1], reference: [-1, -1, -1, -1, -1], tokens: ['assistant', ':', ' lookup', ' order', '\n'] },
    { message: 4, policy: [-1, -1, -1, -1, -1], reference: [-1, -1, -3, -1, -1], tokens: ['assistant', ':', ' ask', ' customer', '\n'] },
  ],
};
const plain: ScoreRecord = {
  id: 't',
  steps: [
    { message: 2, policy: [0, 0, 0, 0, 0, -1, -1], reference: [0, 0, 0, 0, 0, -1, -2], tokens: ['\n', '<unk>', 'assistant', '<unk>', ':', ' lookup', ' order'] },
    { message: 4, policy: [0, 0, 0, 0, 0, -4, -1], reference: [0, 0, 0, 0, 0, -1, -1], tokens: ['\n', '<unk>', 'assistant', '<unk>', ':', ' ask', ' customer'] },
  ],
};
const texts = ['system', 'user', 'lookup order', 'tool', 'ask customer'];

describe('compareScorings', () => {
  it('aligns, differences, step series and decisive steps as computed by hand', () => {
    const model = compareScorings(texts, { record: chat, tokenLevel: true }, { record: plain, tokenLevel: true }, options, 'min_cumulative');
    // A (chat) token advantages 0.5·(p − r): step 2 [0, 0, −0.5, −1, 0]; step 4 [0, 0, 1, 0, 0].
    // B (plain): step 2 [0,0,0,0,0, 0, 0.5]; step 4 [0,0,0,0,0, −1.5, 0].
    expect(model.alignment.steps.map((s) => s.pairs.map((p) => [p.text, p.difference]))).toEqual([
      [
        [' lookup', -0.5],
        [' order', -1.5],
      ],
      [
        [' ask', 2.5],
        [' customer', 0],
      ],
    ]);
    expect(model.alignment.tokenizationsDiffer).toBe(true);
    // Step scores (sum of token advantages): A −1.5, +1; B +0.5, −1.5. running sums A −1.5, −0.5 and B +0.5, −1: min_cumulative names A message 2, B message 4.
    expect(model.series).toEqual([
      { message: 2, a: -1.5, b: 0.5, difference: -2 },
      { message: 4, a: 1, b: -1.5, difference: 2.5 },
    ]);
    expect(model.decisive).toMatchObject({ a: 2, b: 4, same: false, summary: 'A: message 2 · B: message 4' });
    // |differences| 0, 0.5, 1.5, 2.5: the 95th percentile is 2.5.
    expect(model.differenceRange).toBe(2.5);
  });

  it('says why a scoring cannot be evaluated (step-level figures under the difference mode)', () => {
    const stepLevel: ScoreRecord = { id: 't', steps: [{ message: 2, policy: [-1, -2], reference: [-1] }] };
    const model = compareScorings(texts, { record: chat, tokenLevel: true }, { record: stepLevel, tokenLevel: false }, options, 'min_cumulative');
    expect('error' in model.evaluationB && model.evaluationB.error).toMatch(/steps\[0\]\.reference/);
    expect(model.alignment.steps[0].reason).toMatch(/scoring B has step-level scores only/);
    expect(model.decisive.b).toBeNull();
  });
});

describe('stepChartGeometry', () => {
  it('places both series on one scale and breaks a line at a step its scoring did not score', () => {
    const chart = stepChartGeometry(
      [
        { message: 2, a: 1, b: -1, difference: 2 },
        { message: 4, a: null, b: 0, difference: null },
        { message: 6, a: 0, b: 1, difference: -1 },
      ],
      256,
      124,
    );
    // x: 44, 144, 244 (44 px for the axis labels, 12 on the right); y: 12 + (1 − v)/2 · 100.
    expect(chart.pointsA.map((p) => [p.x, p.y])).toEqual([
      [44, 12],
      [244, 62],
    ]);
    expect(chart.pathA).toBe('M44.00,12.00M244.00,62.00');
    expect(chart.pathB).toBe('M44.00,112.00L144.00,62.00L244.00,12.00');
    expect(chart.zeroY).toBe(62);
  });
});
