/**
 * Agreement statistics of the demo's verification (src/demo/verify.ts). The identity on the shipped
 * pair itself is checked through the lab's onnxruntime-node scorer: test/unit/lab/demo/verify-onnx.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { agreementOf, pearson, type StepComparison } from '../../../src/demo/verify';

describe('agreement statistics', () => {
  const comparison = (modelAdvantage: number, exactAdvantage: number): StepComparison => ({
    episode: 0,
    agent: 'policy',
    taskId: 't',
    messageIndex: 2,
    action: 'lookup order',
    modelAdvantage,
    exactAdvantage,
  });

  it('pearson is 1 for an affine relation, −1 reversed, and rejects constant series', () => {
    expect(pearson([1, 2, 3], [3, 5, 7])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(() => pearson([1, 1, 1], [1, 2, 3])).toThrow(/constant/);
  });

  it('agreementOf reports Pearson, Spearman and the mean absolute error', () => {
    const figures = agreementOf([comparison(0.1, 0.2), comparison(-0.5, -0.4), comparison(0.3, 0.5)]);
    expect(figures.steps).toBe(3);
    expect(figures.meanAbsError).toBeCloseTo((0.1 + 0.1 + 0.2) / 3, 12);
    expect(figures.spearman).toBeCloseTo(1, 12);
    expect(figures.pearson).toBeCloseTo(pearson([0.1, -0.5, 0.3], [0.2, -0.4, 0.5]), 12);
    // Ranks disagree: Spearman drops below 1.
    expect(agreementOf([comparison(0.1, 0.2), comparison(-0.5, -0.4), comparison(0.3, 0.1)]).spearman).toBeCloseTo(0.5, 12);
  });
});
