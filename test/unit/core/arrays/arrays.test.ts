import { describe, expect, it } from 'vitest';
import { appendAll, maxOf, minOf } from '../../../../src/core/arrays';

const N = 500_000;

describe('array helpers at any length', () => {
  const values = Array.from({ length: N }, (_, i) => (i * 7919) % N);

  it('a spread of 500k elements overflows the stack (why the helpers exist)', () => {
    expect(() => [].push(...(values as never[]))).toThrow(RangeError);
  });

  it('appendAll appends 500k elements in order, in place', () => {
    const target = [-1];
    expect(appendAll(target, values)).toBe(target);
    expect(target).toHaveLength(N + 1);
    expect(target[0]).toBe(-1);
    expect(target[1 + 12_345]).toBe(values[12_345]);
    expect(target[N]).toBe(values[N - 1]);
  });

  it('maxOf and minOf of 500k values, of iterables, of nothing, and with NaN as Math.max/min treat it', () => {
    expect(maxOf(values)).toBe(N - 1);
    expect(minOf(values)).toBe(0);
    expect(maxOf(new Set([3, 9, 4]).values())).toBe(9);
    expect(maxOf([])).toBe(-Infinity);
    expect(minOf([], 0)).toBe(0);
    expect(maxOf([1, Number.NaN, 3])).toBeNaN();
    expect(minOf([Number.NaN, 1])).toBeNaN();
    expect(maxOf([-5, -2])).toBe(Math.max(-5, -2));
  });
});
