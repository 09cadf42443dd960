import { describe, expect, it } from 'vitest';
import { plural, pluralOf } from '../../../src/ui/plural';

describe('plural', () => {
  it('puts the noun in the number of the count', () => {
    expect(plural(1, 'step')).toBe('1 step');
    expect(plural(0, 'step')).toBe('0 steps');
    expect(plural(2, 'trajectory')).toBe('2 trajectories');
    expect(plural(1, 'trajectory')).toBe('1 trajectory');
    expect(plural(1200, 'file')).toBe('1,200 files');
    expect(plural(3, 'match')).toBe('3 matches');
    expect(plural(2, 'day')).toBe('2 days');
    expect(plural(2, 'person', 'people')).toBe('2 people');
    expect(pluralOf('message')).toBe('messages');
  });
});
