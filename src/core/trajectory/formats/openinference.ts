/**
 * Spans that follow the OpenInference semantic conventions (Arize, the specification at
 * arize-ai.github.io/openinference/spec: span kinds, flattened message attributes, tool calling).
 * `openinference.span.kind` = `LLM` is a model call whose messages are flattened attributes
 * `llm.input_messages.{i}.message.{role, content, name, tool_call_id}`, text parts
 * `….message.contents.{k}.message_content.{type, text}` (`text` and `reasoning` read), tool calls
 * `….message.tool_calls.{j}.tool_call.{id, function.name, function.arguments}`, and the same under
 * `llm.output_messages`; `llm.model_name` names the model. `TOOL` is a tool run: `tool.name`,
 * `tool_call.id` where recorded, `input.value` (its arguments) and `output.value` (its result).
 * Other kinds (AGENT, CHAIN, RETRIEVER, …) carry no messages of their own.
 */
import type { Message, ToolCall } from '../types';
import { readToolCall, requireRole, parseToolArguments } from './messages';
import { asText, attributePath, type OtlpSpan, type SpanTurn } from './otel-spans';
import { FormatError, isObject, optionalId, type JsonObject } from './shape';

export const OPENINFERENCE_KIND = 'openinference.span.kind';

export function isOpenInferenceSpan(span: OtlpSpan): boolean {
  return typeof span.attributes[OPENINFERENCE_KIND] === 'string';
}

/**
 * The flattened list under `prefix` (`llm.input_messages`) as nested values: `{prefix}.0.message.role`
 * becomes `[{message: {role}}]`. Numeric segments are list indices; each item remembers its key prefix.
 */
function unflatten(attributes: JsonObject, prefix: string): { key: string; value: JsonObject }[] {
  const items = new Map<number, JsonObject>();
  for (const [key, value] of Object.entries(attributes)) {
    if (!key.startsWith(`${prefix}.`)) continue;
    const segments = key.slice(prefix.length + 1).split('.');
    const index = Number(segments[0]);
    if (!Number.isSafeInteger(index) || index < 0) continue;
    let node = items.get(index) ?? {};
    items.set(index, node);
    for (let s = 1; s < segments.length - 1; s++) {
      const next = node[segments[s]];
      node = (node[segments[s]] = isObject(next) ? next : {}) as JsonObject;
    }
    if (segments.length > 1) node[segments[segments.length - 1]] = value;
  }
  return [...items.entries()].sort(([a], [b]) => a - b).map(([index, value]) => ({ key: `${prefix}.${index}`, value }));
}

/** Lists flattened inside an item (`tool_calls.0…`, `contents.1…`) are objects keyed by index: their values in index order. */
function indexed(value: unknown): { index: string; item: unknown }[] {
  if (!isObject(value)) return [];
  return Object.keys(value)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((index) => ({ index, item: value[index] }));
}

function readMessage(span: OtlpSpan, key: string, item: JsonObject): Message {
  const raw = isObject(item.message) ? item.message : {};
  const at = (field: string) => attributePath(span, `${key}.message.${field}`);
  const { role, sourceRole } = requireRole(raw.role, at('role'));
  let content: string;
  if (typeof raw.content === 'string') {
    content = raw.content;
  } else if (raw.content !== undefined && raw.content !== null) {
    throw FormatError.at(at('content'), 'the message’s text (a string)', raw.content);
  } else {
    // Reasoning is text the model generated: kept in place as `<think>…</think>` (see atif.ts).
    content = indexed(raw.contents)
      .map(({ item: part }) => (isObject(part) && isObject(part.message_content) ? part.message_content : {}))
      .filter((part) => (part.type === 'text' || part.type === 'reasoning') && typeof part.text === 'string')
      .map((part) => (part.type === 'reasoning' ? `<think>\n${part.text as string}\n</think>` : (part.text as string)))
      .join('\n');
  }
  const message: Message = { role, sourceRole, content };
  const calls: ToolCall[] = indexed(raw.tool_calls).map(({ index, item: call }) =>
    readToolCall(isObject(call) ? call.tool_call : call, at(`tool_calls.${index}.tool_call`)),
  );
  if (calls.length > 0) message.toolCalls = calls;
  const callId = optionalId(raw.tool_call_id, at('tool_call_id'));
  if (callId !== undefined) message.toolCallId = callId;
  if (typeof raw.name === 'string') {
    if (role === 'tool') message.toolName = raw.name;
    else message.name = raw.name;
  }
  return message;
}

function readToolSpan(span: OtlpSpan): SpanTurn {
  const name = span.attributes['tool.name'] ?? (span.name || undefined);
  if (typeof name !== 'string') throw FormatError.at(attributePath(span, 'tool.name'), 'the tool’s name (a string)', name);
  const call: ToolCall = { name, ...parseToolArguments(span.attributes['input.value'], attributePath(span, 'input.value')) };
  const id = optionalId(span.attributes['tool_call.id'], attributePath(span, 'tool_call.id'));
  if (id !== undefined) call.id = id;
  const result = span.attributes['output.value'];
  return { kind: 'tool', span, convention: 'openinference', call, ...(result === undefined ? {} : { result: asText(result) }) };
}

/** The turn an OpenInference span records, or null for kinds that carry no messages. */
export function readOpenInferenceSpan(span: OtlpSpan): SpanTurn | null {
  const kind = String(span.attributes[OPENINFERENCE_KIND]).toUpperCase();
  if (kind === 'TOOL') return readToolSpan(span);
  if (kind !== 'LLM') return null;
  const read = (prefix: string) => unflatten(span.attributes, prefix).map(({ key, value }) => readMessage(span, key, value));
  const model = span.attributes['llm.model_name'];
  return { kind: 'chat', span, convention: 'openinference', input: read('llm.input_messages'), output: read('llm.output_messages'), ...(typeof model === 'string' ? { model } : {}) };
}
