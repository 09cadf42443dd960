/**
 * Two trajectories of one task laid out for reading side by side: the messages they share from
 * the start once, then the two branches next to each other from the first message that differs
 * (row k holds each branch's k-th message; the shorter branch has none in its last rows).
 */

export type PrefixAlignedRow =
  | { kind: 'shared'; message: number }
  | { kind: 'branch'; a: number | null; b: number | null };

export interface PrefixAlignment {
  /** How many leading messages the two share (the first differing message's index). */
  sharedCount: number;
  /** Whether the two hold the same messages. */
  identical: boolean;
  rows: PrefixAlignedRow[];
}

export function alignFromSharedPrefix<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): PrefixAlignment {
  let sharedCount = 0;
  while (sharedCount < a.length && sharedCount < b.length && same(a[sharedCount], b[sharedCount])) sharedCount++;
  const rows: PrefixAlignedRow[] = [];
  for (let m = 0; m < sharedCount; m++) rows.push({ kind: 'shared', message: m });
  const branchLength = Math.max(a.length, b.length) - sharedCount;
  for (let k = 0; k < branchLength; k++) {
    const m = sharedCount + k;
    rows.push({ kind: 'branch', a: m < a.length ? m : null, b: m < b.length ? m : null });
  }
  return { sharedCount, identical: sharedCount === a.length && a.length === b.length, rows };
}
