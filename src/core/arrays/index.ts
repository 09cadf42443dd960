/**
 * Array helpers that work at any length. Spreading an array into a call (`push(...items)`,
 * `Math.max(...values)`) puts every element on the stack: past ~120k elements V8 throws
 * "Maximum call stack size exceeded". The code base uses these instead (a test forbids the spreads).
 */

/** Appends every element of `items` to `target` (in place) and returns `target`. */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/** The largest value (NaN when any value is NaN, as Math.max); `empty` when there is none. */
export function maxOf(values: Iterable<number>, empty = -Infinity): number {
  let max = -Infinity;
  let seen = false;
  for (const value of values) {
    if (Number.isNaN(value)) return Number.NaN;
    if (value > max) max = value;
    seen = true;
  }
  return seen ? max : empty;
}

/** The smallest value (NaN when any value is NaN, as Math.min); `empty` when there is none. */
export function minOf(values: Iterable<number>, empty = Infinity): number {
  let min = Infinity;
  let seen = false;
  for (const value of values) {
    if (Number.isNaN(value)) return Number.NaN;
    if (value < min) min = value;
    seen = true;
  }
  return seen ? min : empty;
}
