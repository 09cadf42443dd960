import { describe, expect, it } from 'vitest';
import { SCORING_METHODS } from '../../../../src/core/advantage';
import { TOKEN_COLOUR_LABEL, methodLabel } from '../../../../src/core/advantage/method-label';

describe('methodLabel', () => {
  it('names the progress advantage by its formula, per mode', () => {
    expect(methodLabel('progress', 'difference')).toMatchObject({ name: 'progress advantage', formula: 'A = β·(log π_θ − log π_ref)', axis: 'advantage', running: 'running advantage' });
    expect(methodLabel('progress', 'per-model').formula).toBe('A = β·(agg log π_θ − agg log π_ref)');
  });

  it('never calls a baseline an advantage', () => {
    for (const method of SCORING_METHODS.filter((m) => m !== 'progress')) {
      const label = methodLabel(method, 'difference');
      expect(Object.values(label).join(' ')).not.toMatch(/advantage|A =/);
      expect(methodLabel(method, 'per-model')).toEqual(label); // the mode is the progress advantage's only
    }
    expect(methodLabel('policy-logprob').axis).toBe('log π_θ');
    expect(methodLabel('reference-logprob').axis).toBe('log π_ref');
    expect(methodLabel('self-certainty').name).toBe('self-certainty');
    expect(methodLabel('deepconf-b10').name).toBe('DeepConf bottom-10% confidence');
  });

  it('gives each method its own name', () => {
    expect(new Set(SCORING_METHODS.map((m) => methodLabel(m).name)).size).toBe(SCORING_METHODS.length);
    expect(TOKEN_COLOUR_LABEL.formula).toBe('A = β·(log π_θ − log π_ref)');
  });
});
