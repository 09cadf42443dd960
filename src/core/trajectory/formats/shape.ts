/**
 * Small helpers for reading untrusted JSON values with errors that say where and what:
 * every failure is a `FormatError` carrying a JSON path (`simulations[3].messages[2]`),
 * what the format expected there, and what the file actually holds.
 */

export type JsonObject = Record<string, unknown>;

/** A plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value that does not fit the format an adapter is reading, at a JSON path. */
export class FormatError extends Error {
  constructor(
    /** JSON path from the adapter's root value, e.g. `simulations[3].messages[2].role`; '' is the root. */
    readonly path: string,
    /** What the format expects there, as a noun phrase: `a string`, `one of user, assistant`. */
    readonly expected: string,
    /** What the file holds there, already described (`the string "abc"`). */
    readonly found: string,
  ) {
    super(`at ${path === '' ? 'the top level' : path}: expected ${expected}, found ${found}`);
    this.name = 'FormatError';
  }

  /** The error for `value` found at `path` where `expected` was wanted. */
  static at(path: string, expected: string, value: unknown): FormatError {
    return new FormatError(path, expected, describeValue(value));
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Appends an object key or array index to a JSON path. */
export function pathJoin(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (IDENTIFIER.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

/** A short human description of a JSON value, for "found …" in error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number') return `the number ${String(value)}`;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an empty object';
    const shown = keys.slice(0, 6).map((k) => JSON.stringify(k));
    return `an object with keys ${shown.join(', ')}${keys.length > 6 ? ', …' : ''}`;
  }
  return typeof value;
}

export function requireObject(value: unknown, path: string, expected = 'an object'): JsonObject {
  if (!isObject(value)) throw FormatError.at(path, expected, value);
  return value;
}

export function requireArray(value: unknown, path: string, expected = 'an array'): unknown[] {
  if (!Array.isArray(value)) throw FormatError.at(path, expected, value);
  return value;
}

export function requireString(value: unknown, path: string, expected = 'a string'): string {
  if (typeof value !== 'string') throw FormatError.at(path, expected, value);
  return value;
}

/** A trajectory's message list: an array with at least one item (an empty one is not a trajectory). */
export function requireMessageList(value: unknown, path: string, expected: string): unknown[] {
  const list = requireArray(value, path, expected);
  if (list.length === 0) throw new FormatError(path, `${expected} with at least one message`, 'an empty array');
  return list;
}

/** A string, or undefined when the field is missing or null. */
export function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw FormatError.at(path, 'a string or null', value);
  return value;
}

/** A finite number, or undefined when the field is missing or null. */
export function optionalNumber(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw FormatError.at(path, 'a number or null', value);
  return value;
}

/** Ids in files are strings or integers; both become strings. */
export function optionalId(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw FormatError.at(path, 'a string or number id', value);
}

/** The object's fields minus the named ones: free metadata without the bulky message arrays. */
export function omitKeys(value: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (!keys.includes(k)) out[k] = v;
  return out;
}
