/**
 * Tool-call arguments and tool results as a person reads them: JSON indented two spaces, and string
 * values longer than a limit folded to their start with a count of what is hidden (the full text is
 * one click away). Pure.
 */
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../core/trajectory/json-depth';

/** String values longer than this are folded. */
export const FOLD_VALUE_CHARS = 240;

export interface PrettyJson {
  text: string;
  /** Whether any value was folded (the view then offers the full text). */
  folded: boolean;
}

function fold(value: unknown, limit: number, state: { folded: boolean }): unknown {
  if (typeof value === 'string') {
    if (value.length <= limit) return value;
    state.folded = true;
    return `${value.slice(0, limit)}… (${(value.length - limit).toLocaleString('en-US')} more characters)`;
  }
  if (Array.isArray(value)) return value.map((v) => fold(v, limit, state));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fold(v, limit, state)]));
  return value;
}

/** A JSON value indented, with long strings folded unless `limit` is Infinity. */
export function prettyJson(value: unknown, limit = FOLD_VALUE_CHARS): PrettyJson {
  const state = { folded: false };
  const text = JSON.stringify(fold(value, limit, state), null, 2) ?? String(value);
  return { text, folded: state.folded };
}

/**
 * The JSON object or array a text holds (a tool result written as JSON), or undefined. JSON nesting
 * deeper than files may (core/trajectory/json-depth.ts) stays text: folding and indenting recurse.
 */
export function parseJsonContainer(text: string): object | undefined {
  const trimmed = text.trim();
  if (!(trimmed.startsWith('{') || trimmed.startsWith('['))) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !nestsDeeperThan(value, MAX_JSON_DEPTH) ? value : undefined;
  } catch {
    return undefined;
  }
}
