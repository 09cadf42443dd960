/**
 * Where two trajectories of one task part ways: the first message index at which the normalised
 * messages differ. Two messages are the same when role, agent name, text and tool calls (name and
 * arguments, in order) are; call ids are left out, since every sample draws its own.
 */
import type { Message, ToolCall } from '../../core/trajectory/types';

/** JSON with object keys sorted, so that argument objects compare by content, not key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What a call's arguments say: the parsed object, or, when the source's string did not parse to a
 * non-empty object, that string (so two unparseable argument strings still compare).
 */
function argumentsKey(call: ToolCall): string {
  if (Object.keys(call.arguments).length > 0 || call.rawArguments === undefined) return canonicalJson(call.arguments);
  try {
    return canonicalJson(JSON.parse(call.rawArguments));
  } catch {
    return call.rawArguments;
  }
}

function sameToolCalls(a: readonly ToolCall[] | undefined, b: readonly ToolCall[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  return left.every((call, i) => call.name === right[i].name && argumentsKey(call) === argumentsKey(right[i]));
}

export function sameMessage(a: Message, b: Message): boolean {
  return a.role === b.role && (a.name ?? null) === (b.name ?? null) && a.content === b.content && sameToolCalls(a.toolCalls, b.toolCalls);
}

/**
 * The first message index where `other` differs from `reference`; when one is a prefix of the other,
 * the index where the shorter one ends. Null when both hold the same messages.
 */
export function firstDivergence(reference: readonly Message[], other: readonly Message[]): number | null {
  const shared = Math.min(reference.length, other.length);
  for (let i = 0; i < shared; i++) if (!sameMessage(reference[i], other[i])) return i;
  return reference.length === other.length ? null : shared;
}
