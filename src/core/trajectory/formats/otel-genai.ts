/**
 * Spans that follow OpenTelemetry's GenAI semantic conventions (semconv v1.37, the generative-AI
 * spans and attributes), in both ways they record content:
 * - the attributes of v1.37 and later: `gen_ai.system_instructions`, `gen_ai.input.messages` and
 *   `gen_ai.output.messages` (structured, or the JSON strings most SDKs write), messages
 *   `{role, parts: [{type: text | reasoning, content} | {type: tool_call, id, name, arguments} |
 *   {type: tool_call_response, id, response} | …], name, finish_reason}`;
 * - the span events of v1.28–v1.36: `gen_ai.system.message`, `gen_ai.user.message`,
 *   `gen_ai.assistant.message` (`tool_calls` in OpenAI's shape), `gen_ai.tool.message` (`id`) and
 *   `gen_ai.choice` (`{index, finish_reason, message}`), the body read from the attribute
 *   `gen_ai.event.content` (a JSON string, as Azure's and other SDKs write it) or from the event's
 *   own attributes.
 * `gen_ai.operation.name` = `chat` / `text_completion` / `generate_content` (or recorded messages)
 * make a model call; `execute_tool` a tool run (`gen_ai.tool.name`, `gen_ai.tool.call.id`, and
 * v1.38's `gen_ai.tool.call.arguments` and `gen_ai.tool.call.result`). Other operations
 * (invoke_agent, embeddings, …) are no model calls, even where they record the agent's messages.
 */
import type { Message, ToolCall } from '../types';
import { readToolCall, requireRole, textFromContent, parseToolArguments } from './messages';
import { asText, attributePath, structuredAttribute, type OtlpEvent, type OtlpSpan, type SpanTurn } from './otel-spans';
import { describeValue, FormatError, isObject, optionalId, pathJoin, requireArray, requireObject, requireString, type JsonObject } from './shape';

const CHAT_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content']);
const MESSAGE_EVENTS: Readonly<Record<string, Message['role']>> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

/** Whether the span follows the GenAI conventions at all. */
export function isGenAiSpan(span: OtlpSpan): boolean {
  return typeof span.attributes['gen_ai.operation.name'] === 'string' || 'gen_ai.input.messages' in span.attributes || 'gen_ai.output.messages' in span.attributes;
}

/** One message of `gen_ai.input.messages` / `gen_ai.output.messages`; tool responses become tool messages of their own. */
function readPartsMessage(value: unknown, path: string): Message[] {
  const raw = requireObject(value, path, 'a message {role, parts}');
  const { role, sourceRole } = requireRole(raw.role, pathJoin(path, 'role'));
  const partsPath = pathJoin(path, 'parts');
  const texts: string[] = [];
  const calls: ToolCall[] = [];
  const responses: Message[] = [];
  requireArray(raw.parts, partsPath, 'the message’s parts (an array)').forEach((item, i) => {
    const partPath = pathJoin(partsPath, i);
    const part = requireObject(item, partPath, 'a part {type, …}');
    const type = requireString(part.type, pathJoin(partPath, 'type'), 'the part’s type (a string)');
    if (type === 'text' || type === 'reasoning') {
      const text = requireString(part.content, pathJoin(partPath, 'content'), 'the part’s text (a string)');
      // Reasoning is text the model generated: kept in place as `<think>…</think>` (see atif.ts).
      texts.push(type === 'reasoning' ? `<think>\n${text}\n</think>` : text);
    } else if (type === 'tool_call') {
      const call: ToolCall = {
        name: requireString(part.name, pathJoin(partPath, 'name'), 'the tool’s name (a string)'),
        ...parseToolArguments(part.arguments, pathJoin(partPath, 'arguments')),
      };
      const id = optionalId(part.id, pathJoin(partPath, 'id'));
      if (id !== undefined) call.id = id;
      calls.push(call);
    } else if (type === 'tool_call_response') {
      const response: Message = { role: 'tool', sourceRole, content: asText(part.response) };
      const id = optionalId(part.id, pathJoin(partPath, 'id'));
      if (id !== undefined) response.toolCallId = id;
      responses.push(response);
    }
    // blob, file, uri and provider-specific parts carry no text.
  });
  const out: Message[] = [];
  if (texts.length > 0 || calls.length > 0 || responses.length === 0) {
    const message: Message = { role, sourceRole, content: texts.join('\n') };
    if (calls.length > 0) message.toolCalls = calls;
    if (typeof raw.name === 'string') message.name = raw.name;
    out.push(message);
  }
  for (const response of responses) out.push(response);
  return out;
}

function readPartsMessages(span: OtlpSpan, key: string): Message[] {
  const value = structuredAttribute(span, key, 'an array of messages {role, parts}');
  if (value === undefined || value === null) return [];
  const path = attributePath(span, key);
  const messages: Message[] = [];
  requireArray(value, path, 'an array of messages {role, parts}').forEach((item, i) => {
    for (const message of readPartsMessage(item, pathJoin(path, i))) messages.push(message);
  });
  return messages;
}

/** `gen_ai.system_instructions`: parts (usually text) as one system message. */
function readSystemInstructions(span: OtlpSpan): Message | undefined {
  const key = 'gen_ai.system_instructions';
  const value = structuredAttribute(span, key, 'an array of parts');
  if (value === undefined || value === null) return undefined;
  const path = attributePath(span, key);
  const texts = requireArray(value, path, 'an array of parts').flatMap((item, i) => {
    const part = requireObject(item, pathJoin(path, i), 'a part {type, content}');
    return part.type === 'text' ? [requireString(part.content, pathJoin(pathJoin(path, i), 'content'), 'the part’s text (a string)')] : [];
  });
  return { role: 'system', sourceRole: 'system', content: texts.join('\n') };
}

/** An event's body and its path: the JSON in `gen_ai.event.content`, or else its attributes. */
function eventBody(event: OtlpEvent, eventPath: string): { body: JsonObject; path: string } {
  const attributesPath = pathJoin(eventPath, 'attributes');
  const content = event.attributes['gen_ai.event.content'];
  if (typeof content !== 'string') return { body: event.attributes, path: attributesPath };
  const path = pathJoin(attributesPath, 'gen_ai.event.content');
  return { body: requireObject(parseJsonString(content, path, 'the event’s body'), path, 'the event’s body (a JSON object)'), path };
}

function parseJsonString(value: string, path: string, what: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new FormatError(path, `${what} as JSON text`, `${describeValue(value)}, which is not valid JSON`);
  }
}

/** A body field that an attribute can only hold as a JSON string (`tool_calls`, a choice's `message`). */
function structuredField(body: JsonObject, key: string, path: string): unknown {
  const value = body[key];
  return typeof value === 'string' ? parseJsonString(value, pathJoin(path, key), key) : value;
}

/** An OpenAI-shaped message body `{content, tool_calls, id}` of role `role`. */
function readEventMessage(body: JsonObject, role: Message['role'], sourceRole: string, path: string): Message {
  const message: Message = { role, sourceRole, content: textFromContent(body.content, pathJoin(path, 'content')) };
  const toolCalls = structuredField(body, 'tool_calls', path);
  if (toolCalls !== undefined && toolCalls !== null) {
    const callsPath = pathJoin(path, 'tool_calls');
    const calls = requireArray(toolCalls, callsPath, 'an array of tool calls').map((call, i) => readToolCall(call, pathJoin(callsPath, i)));
    if (calls.length > 0) message.toolCalls = calls;
  }
  if (role === 'tool') {
    const id = optionalId(body.id, pathJoin(path, 'id'));
    if (id !== undefined) message.toolCallId = id;
  }
  return message;
}

/** The messages of the v1.28–v1.36 events: the input in event order, the output from `gen_ai.choice` (by index). */
function readMessageEvents(span: OtlpSpan): { input: Message[]; output: Message[] } {
  const input: Message[] = [];
  const choices: { index: number; message: Message }[] = [];
  span.events.forEach((event, i) => {
    const eventPath = pathJoin(pathJoin(span.path, 'events'), i);
    const role = MESSAGE_EVENTS[event.name];
    if (role) {
      const { body, path } = eventBody(event, eventPath);
      input.push(readEventMessage(body, role, event.name, path));
    } else if (event.name === 'gen_ai.choice') {
      const { body, path } = eventBody(event, eventPath);
      const inner = structuredField(body, 'message', path);
      const message = isObject(inner) ? { body: inner, path: pathJoin(path, 'message') } : { body, path };
      const index = typeof body.index === 'number' ? body.index : Number.isSafeInteger(Number(body.index)) ? Number(body.index) : choices.length;
      choices.push({ index, message: readEventMessage(message.body, 'assistant', event.name, message.path) });
    }
  });
  choices.sort((a, b) => a.index - b.index);
  return { input, output: choices.map((c) => c.message) };
}

function readToolSpan(span: OtlpSpan): SpanTurn {
  const nameKey = 'gen_ai.tool.name';
  // The span's name is `execute_tool {gen_ai.tool.name}` when the attribute is left out.
  const name = span.attributes[nameKey] ?? (span.name.replace(/^execute_tool\s*/, '') || undefined);
  const call: ToolCall = {
    name: requireString(name, attributePath(span, nameKey), 'the tool’s name (a string)'),
    ...parseToolArguments(span.attributes['gen_ai.tool.call.arguments'], attributePath(span, 'gen_ai.tool.call.arguments')),
  };
  const id = optionalId(span.attributes['gen_ai.tool.call.id'], attributePath(span, 'gen_ai.tool.call.id'));
  if (id !== undefined) call.id = id;
  const result = span.attributes['gen_ai.tool.call.result'];
  return { kind: 'tool', span, convention: 'gen_ai', call, ...(result === undefined ? {} : { result: asText(result) }) };
}

/** The turn a GenAI span records, or null for operations that carry no messages. */
export function readGenAiSpan(span: OtlpSpan): SpanTurn | null {
  const operation = span.attributes['gen_ai.operation.name'];
  if (operation === 'execute_tool') return readToolSpan(span);
  const hasMessages = 'gen_ai.input.messages' in span.attributes || 'gen_ai.output.messages' in span.attributes;
  const hasEvents = span.events.some((e) => e.name in MESSAGE_EVENTS || e.name === 'gen_ai.choice');
  // invoke_agent and other operations may record messages too (the agent's own input and output):
  // only model calls are turns of the conversation.
  if (typeof operation === 'string' ? !CHAT_OPERATIONS.has(operation) : !hasMessages && !hasEvents) return null;
  let input: Message[];
  let output: Message[];
  if (hasMessages) {
    input = readPartsMessages(span, 'gen_ai.input.messages');
    output = readPartsMessages(span, 'gen_ai.output.messages');
    const system = readSystemInstructions(span);
    if (system && input[0]?.role !== 'system') input.unshift(system);
  } else {
    ({ input, output } = readMessageEvents(span));
  }
  const model = span.attributes['gen_ai.response.model'] ?? span.attributes['gen_ai.request.model'];
  return { kind: 'chat', span, convention: 'gen_ai', input, output, ...(typeof model === 'string' ? { model } : {}) };
}
