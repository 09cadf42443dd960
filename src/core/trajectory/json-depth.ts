/**
 * The one bound on how deeply JSON may nest. `JSON.parse` and the syntax scanner (json-syntax.ts)
 * read any depth, but what happens to a trajectory afterwards recurses: structured cloning to and
 * from workers and into IndexedDB (a Chromium worker's postMessage fails at about 1,860 levels),
 * `JSON.stringify` (4,184 in Node 20), the plain renderer's Python repr, the chat template's
 * `tojson`, canonical JSON hashing, the transcript's pretty-printer. Every JSON value read from a
 * file (a JSON document, a JSON Lines line, a JSON string inside one such as tool-call arguments)
 * may therefore nest at most MAX_JSON_DEPTH levels; a record that nests deeper is refused with its
 * JSON path, and everything else in the file still loads. All walks here are iterative.
 */
import { FormatError, pathJoin } from './formats/shape';

/**
 * Levels of nesting a JSON value may have: the outermost object or array is level 1. Well above
 * what real files use (Pydantic, which writes and reads Inspect AI logs, stops at 200 levels), and
 * well under the shallowest limits measured downstream (a Chromium worker's postMessage about
 * 1,860 levels, jinja's `tojson` 1,562 in Node): test/unit/core/trajectory/json-depth-downstream.test.ts
 * runs every later step at three times the deepest trajectory this allows.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * How deep a trajectory read from such JSON can be: its own levels (trajectory → messages →
 * message → toolCalls → call) above tool-call arguments, which may be a whole JSON text of
 * MAX_JSON_DEPTH levels; every other part of a trajectory sits no deeper than in its file. An
 * analysis bundle may hold trajectories this deep, so whatever loads can be exported.
 */
export const MAX_TRAJECTORY_DEPTH = MAX_JSON_DEPTH + 5;

type PathKey = string | number;

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** Whether `value` nests deeper than `limit` levels. Cheap enough to run on every value read. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (!isContainer(value)) return false;
  if (limit < 1) return true;
  const nodes: object[] = [value];
  const levels: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as Record<string, unknown>;
    const level = levels.pop() as number;
    if (Array.isArray(node)) {
      for (const item of node as unknown[]) {
        if (!isContainer(item)) continue;
        if (level === limit) return true;
        nodes.push(item);
        levels.push(level + 1);
      }
    } else {
      for (const key in node) {
        const item = node[key];
        if (!isContainer(item)) continue;
        if (level === limit) return true;
        nodes.push(item);
        levels.push(level + 1);
      }
    }
  }
  return false;
}

/** Where a value nests too deeply: the path of the first level past the limit, and how deep it goes. */
export interface TooDeep {
  /** Keys from the value's root to the first object or array at level `limit + 1`. */
  path: PathKey[];
  /** The deepest level under the value (or under the container this was found for). */
  levels: number;
}

interface Frame {
  node: object;
  keys: PathKey[];
  next: number;
  level: number;
  deepest: number;
  firstTooDeep?: PathKey[];
}

function childKeys(node: object): PathKey[] {
  return Array.isArray(node) ? Array.from(node.keys()) : Object.keys(node);
}

/**
 * Walks `value` once and returns, for the root and every container within `limit` levels that
 * holds something past the limit, where that is and how deep it goes. Containers in `skip` are not
 * entered. Empty when nothing nests too deeply.
 */
export function tooDeepParts(value: unknown, limit: number, skip?: ReadonlySet<object>): Map<object, TooDeep> {
  const found = new Map<object, TooDeep>();
  if (!isContainer(value) || skip?.has(value)) return found;
  const path: PathKey[] = [];
  const stack: Frame[] = [{ node: value, keys: childKeys(value), next: 0, level: 1, deepest: 1 }];
  if (limit < 1) stack[0].firstTooDeep = [];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.next < frame.keys.length) {
      const key = frame.keys[frame.next++];
      const child = (frame.node as Record<PathKey, unknown>)[key];
      if (!isContainer(child) || skip?.has(child)) continue;
      path.push(key);
      const level = frame.level + 1;
      const entered: Frame = { node: child, keys: childKeys(child), next: 0, level, deepest: level };
      if (level === limit + 1) entered.firstTooDeep = path.slice();
      stack.push(entered);
      continue;
    }
    stack.pop();
    const parent = stack[stack.length - 1];
    if (frame.firstTooDeep !== undefined && frame.level <= limit + 1) found.set(frame.node, { path: frame.firstTooDeep, levels: frame.deepest });
    if (parent === undefined) break;
    path.pop();
    parent.deepest = Math.max(parent.deepest, frame.deepest);
    parent.firstTooDeep ??= frame.firstTooDeep;
  }
  return found;
}

/** The first problem of `value` only (the usual question), or null. */
export function findTooDeep(value: unknown, limit = MAX_JSON_DEPTH): TooDeep | null {
  if (!nestsDeeperThan(value, limit)) return null;
  return (isContainer(value) && tooDeepParts(value, limit).get(value)) || null;
}

/** Paths are shown up to this many characters, then `…`: enough to find the record and the field. */
const SHOWN_PATH_CHARS = 100;

/** `base` followed by `keys`, as the adapters write paths, cut after SHOWN_PATH_CHARS. */
export function shownPath(base: string, keys: readonly PathKey[]): string {
  let text = base;
  for (const key of keys) {
    if (text.length > SHOWN_PATH_CHARS) return `${text}…`;
    text = pathJoin(text, key);
  }
  return text;
}

function expectedDepth(limit: number): string {
  return `JSON nested at most ${limit.toLocaleString('en-US')} levels deep`;
}

function foundDepth(levels: number): string {
  return `${levels.toLocaleString('en-US')} levels`;
}

/** The error for a value that nests too deeply; `keys` lead from `base` (the value's own path) to the first level past the limit. */
export function tooDeepError(base: string, tooDeep: TooDeep, limit = MAX_JSON_DEPTH): FormatError {
  return new FormatError(shownPath(base, tooDeep.path), expectedDepth(limit), foundDepth(tooDeep.levels));
}

/**
 * Refuses a value parsed from a JSON string inside a file (tool-call arguments, a turn's tool calls)
 * that nests deeper than MAX_JSON_DEPTH: the error names the string's path and the place inside it.
 */
export function requireJsonTextDepth(parsed: unknown, path: string): void {
  const tooDeep = findTooDeep(parsed);
  if (!tooDeep) return;
  const inside = shownPath('', tooDeep.path);
  throw new FormatError(`${path === '' ? 'the top level' : path}, inside the string at ${inside === '' ? 'its top level' : inside}`, expectedDepth(MAX_JSON_DEPTH), foundDepth(tooDeep.levels));
}

/**
 * The depth check of one value read from a file (a JSON document or a JSON Lines line). `recordProblem`
 * tells a multi-record value's reader (records.ts) which of its records nest too deeply, so only
 * those are refused; `remainingProblem` then says whether anything outside them does.
 */
export class DepthCheck {
  private readonly parts: Map<object, TooDeep>;
  private readonly refused = new Set<object>();

  private constructor(private readonly value: object) {
    this.parts = tooDeepParts(value, MAX_JSON_DEPTH);
  }

  /** Null when nothing in `value` nests deeper than MAX_JSON_DEPTH: the usual case, one quick walk. */
  static of(value: unknown): DepthCheck | null {
    return isContainer(value) && nestsDeeperThan(value, MAX_JSON_DEPTH) ? new DepthCheck(value) : null;
  }

  /** The error for a record (an item of the value at `path`) that nests too deeply, or null. */
  recordProblem(record: unknown): FormatError | null {
    if (!isContainer(record)) return null;
    const part = this.parts.get(record);
    if (part === undefined) return null;
    this.refused.add(record);
    return tooDeepError('', part);
  }

  /** The error for what nests too deeply outside the records already refused, or null. */
  remainingProblem(): FormatError | null {
    const rest = tooDeepParts(this.value, MAX_JSON_DEPTH, this.refused).get(this.value);
    return rest === undefined ? null : tooDeepError('', rest);
  }
}
