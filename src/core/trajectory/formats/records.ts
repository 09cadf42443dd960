/** Reading multi-record values record by record, so one bad record does not hide the others. */
import type { Mismatch, ParseContext } from '../adapter';
import { normaliseRole, KNOWN_ROLES } from './messages';
import { describeValue, FormatError, isObject, pathJoin } from './shape';

/** Reads every item; an item that nests too deeply or throws a FormatError is reported through `ctx.skipRecord` and left out. */
export function readEach<T>(
  items: readonly unknown[],
  basePath: string,
  ctx: ParseContext,
  read: (item: unknown, path: string, index: number) => T,
): T[] {
  const out: T[] = [];
  items.forEach((item, index) => {
    const tooDeep = ctx.tooDeep?.(item);
    if (tooDeep) {
      ctx.skipRecord(index, tooDeep);
      return;
    }
    try {
      out.push(read(item, pathJoin(basePath, index), index));
    } catch (error) {
      if (error instanceof FormatError) ctx.skipRecord(index, error);
      else throw error;
    }
  });
  return out;
}

/** The id of a record whose source has none: its record index in the file (JSON Lines) or in its value. */
export function defaultId(ctx: ParseContext, indexInValue: number): string {
  return String(ctx.recordIndex ?? indexInValue);
}

/**
 * Signature probe for a list of chat messages: the first message must be an object with a known
 * role string. `score` is what the caller had already matched.
 */
export function probeMessageList(list: readonly unknown[], path: string, score: number, roleKey = 'role'): Mismatch | null {
  if (list.length === 0) return null;
  const first = list[0];
  const firstPath = pathJoin(path, 0);
  if (!isObject(first)) return { score, path: firstPath, expected: `a message object {${roleKey}, …}`, found: describeValue(first) };
  const role = first[roleKey];
  if (typeof role !== 'string' || normaliseRole(role) === undefined) {
    return {
      score: score + 1,
      path: pathJoin(firstPath, roleKey),
      expected: `a role string (one of ${KNOWN_ROLES.join(', ')})`,
      found: describeValue(role),
    };
  }
  return null;
}
