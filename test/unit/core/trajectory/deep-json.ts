/**
 * Test support: deeply nested JSON written as text (JSON.stringify itself overflows past ~4,000
 * levels) and values built without recursion, for the nesting bound (src/core/trajectory/json-depth.ts).
 */

/** `{"a":{"a":…1…}}` with `levels` objects. */
export function deepObjectText(levels: number, key = 'a'): string {
  return `{"${key}":`.repeat(levels) + '1' + '}'.repeat(levels);
}

/** The same as a value, built iteratively. */
export function deepObject(levels: number, key = 'a'): Record<string, unknown> {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { [key]: value };
  return value as Record<string, unknown>;
}

/**
 * An OpenAI chat record whose one tool call has `argumentsJson` (JSON text) as its arguments:
 * an object there sits at level 7 (record, messages, message, tool_calls, call, function, arguments).
 */
export function chatRecordText(argumentsJson: string, id = 'deep'): string {
  return (
    `{"id":"${id}","messages":[{"role":"user","content":"Look it up."},` +
    `{"role":"assistant","content":"","tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":${argumentsJson}}}]},` +
    `{"role":"tool","tool_call_id":"c1","content":"found"}]}`
  );
}

/** Levels above a chat record's arguments object: its own object levels come on top. */
export const CHAT_ARGUMENTS_LEVEL = 6;

/** A chat record nesting exactly `levels` levels deep, through its tool call's arguments. */
export function chatRecordOfDepth(levels: number, id = 'deep'): string {
  return chatRecordText(deepObjectText(levels - CHAT_ARGUMENTS_LEVEL), id);
}

/** A chat record whose arguments are a JSON string (as OpenAI writes them) holding `levels` object levels. */
export function chatRecordWithArgumentString(levels: number, id = 'deep-string'): string {
  return chatRecordText(JSON.stringify(deepObjectText(levels)), id);
}

/** Deepest object or array level of a value (1 for `{}`), iteratively. */
export function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, level] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, level);
    for (const child of Object.values(node)) pending.push([child, level + 1]);
  }
  return deepest;
}
