import { describe, expect, it } from 'vitest';
import { advantageBucket, advantageClass, advantageClassRules, STEPS_PER_SIDE } from '../../../../src/ui/heatmap/token-classes';
import { advantageColour } from '../../../../src/ui/heatmap/colour-scale';

describe('token colour classes', () => {
  it('buckets advantages symmetrically around 0 and saturates beyond the range', () => {
    expect(advantageBucket(0, 2)).toBe(0);
    expect(advantageBucket(1, 2)).toBe(10);
    expect(advantageBucket(-1, 2)).toBe(-10);
    expect(advantageBucket(5, 2)).toBe(STEPS_PER_SIDE);
    expect(advantageBucket(-5, 2)).toBe(-STEPS_PER_SIDE);
    expect(advantageBucket(Number.NaN, 2)).toBe(0);
    expect(advantageClass(-0.5, 1)).toBe('adv-n10');
    expect(advantageClass(0.5, 1)).toBe('adv-p10');
  });
  it('has one rule per bucket, coloured as the scale at the bucket centre', () => {
    const rules = advantageClassRules().split('\n');
    expect(rules).toHaveLength(2 * STEPS_PER_SIDE + 1);
    expect(rules[0]).toBe(`.adv-n20{background:${advantageColour(-1, 1)};color:#fff}`);
    expect(rules[STEPS_PER_SIDE]).toBe(`.adv-p0{background:${advantageColour(0, 1)};color:#111}`);
  });
});
