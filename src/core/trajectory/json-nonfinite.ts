/**
 * Reading trajectory files' JSON, including the `NaN`, `Infinity` and `-Infinity` that Python's json
 * module writes for non-finite floats (Inspect AI logs hold them in metrics and scores; any format
 * written from Python may). They are read as the numbers they stand for; each format then decides
 * where a non-finite number is acceptable (labels.ts drops a non-finite reward with a notice).
 * `JSON.parse` runs first and alone on valid JSON; only text it refuses is scanned, and only the
 * literals the strict scanner (json-syntax.ts) finds outside strings are replaced, so a string
 * holding "NaN" is untouched and truly invalid JSON gets the scanner's exact error.
 */
import { findJsonSyntaxError, type JsonSyntaxError, type NonFiniteLiteral } from './json-syntax';

/** Text that is not JSON even with the non-finite literals; `syntax` is null when only the engine refused it (a limit). */
export class InvalidJsonText extends Error {
  constructor(
    readonly syntax: JsonSyntaxError | null,
    readonly engineError: unknown,
  ) {
    super(syntax ? syntax.message : engineError instanceof Error ? engineError.message : String(engineError));
    this.name = 'InvalidJsonText';
  }
}

/** Infinities are written as numbers JSON.parse rounds to them; NaN has no such number and gets a sentinel. */
const INFINITY_TEXT: Readonly<Record<Exclude<NonFiniteLiteral, 'NaN'>, string>> = { Infinity: '1e999', '-Infinity': '-1e999' };

/**
 * A number to stand for NaN while JSON.parse reads the text: the first negative multiple of the
 * smallest subnormal that no number in the text equals, so every such value afterwards was a NaN.
 */
function nanSentinel(taken: ReadonlySet<number>): number {
  for (let k = 1; ; k++) {
    const candidate = -k * Number.MIN_VALUE;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Replaces every `sentinel` in the parsed value with NaN, iteratively (any depth); returns how many. */
function restoreNaN(value: unknown, sentinel: number): { value: unknown; count: number } {
  if (value === sentinel) return { value: Number.NaN, count: 1 };
  let count = 0;
  const pending: object[] = typeof value === 'object' && value !== null ? [value] : [];
  while (pending.length > 0) {
    const node = pending.pop() as Record<string, unknown>;
    for (const key of Array.isArray(node) ? Array.from(node.keys()) : Object.keys(node)) {
      const item = (node as Record<string | number, unknown>)[key];
      if (item === sentinel) {
        (node as Record<string | number, unknown>)[key] = Number.NaN;
        count += 1;
      } else if (typeof item === 'object' && item !== null) {
        pending.push(item);
      }
    }
  }
  return { value, count };
}

/**
 * `JSON.parse(text)`, also accepting `NaN`, `Infinity` and `-Infinity` where a value may stand.
 * Throws `InvalidJsonText` with the first syntax error (its place and what was expected) otherwise.
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (engineError) {
    return parseWithNonFinite(text, engineError);
  }
}

function parseWithNonFinite(text: string, engineError: unknown): unknown {
  const literals: { offset: number; literal: NonFiniteLiteral }[] = [];
  const negatives = new Set<number>();
  const syntax = findJsonSyntaxError(text, {
    onNonFinite: (offset, literal) => literals.push({ offset, literal }),
    onNumber: (start, end) => {
      if (text.charCodeAt(start) === 0x2d) negatives.add(Number(text.slice(start, end)));
    },
  });
  if (syntax || literals.length === 0) throw new InvalidJsonText(syntax, engineError);
  const sentinel = nanSentinel(negatives);
  const sentinelText = String(sentinel);
  const parts: string[] = [];
  let copied = 0;
  let nans = 0;
  for (const { offset, literal } of literals) {
    parts.push(text.slice(copied, offset), literal === 'NaN' ? sentinelText : INFINITY_TEXT[literal]);
    if (literal === 'NaN') nans += 1;
    copied = offset + literal.length;
  }
  parts.push(text.slice(copied));
  let parsed: unknown;
  try {
    parsed = JSON.parse(parts.join(''));
  } catch (error) {
    // The scanner found valid JSON: only an engine limit (a string too long to build) is left.
    throw new InvalidJsonText(null, error);
  }
  if (nans === 0) return parsed;
  const restored = restoreNaN(parsed, sentinel);
  if (restored.count !== nans) throw new Error(`parseJsonText: ${nans} NaN literals but ${restored.count} values restored`);
  return restored.value;
}
