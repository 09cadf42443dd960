/**
 * OpenTelemetry traces (src/core/trajectory/formats/otel*.ts, openinference.ts) on the hand-written
 * OTLP JSON fixtures in test/fixtures/formats, read through the ingestion path. The expectations
 * are worked out here from the raw spans another way than the adapter does: the last model call of
 * a trace is sent the whole conversation, so the trajectory is that call's input and output, plus
 * the tool runs no message mentions.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeTrajectory } from '../../../../../src/core/trajectory/describe';
import { parseTrajectoryBytes, parseTrajectoryText } from '../../../../../src/core/trajectory/ingest';
import { detectFormat, detectSession } from '../../../../../src/core/trajectory/registry';
import type { Trajectory } from '../../../../../src/core/trajectory/types';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(here, '../../../../fixtures/formats');
const ROOT = path.resolve(here, '../../../../..');

interface RawSpan {
  traceId: string;
  spanId: string;
  name: string;
  startTimeUnixNano: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: string } }[];
  events?: { name: string; attributes: { key: string; value: { stringValue?: string } }[] }[];
}
interface RawDoc {
  resourceSpans: { scopeSpans: { spans: RawSpan[] }[] }[];
}

function load(name: string): { spans: RawSpan[]; trajectories: Trajectory[] } {
  const bytes = readFileSync(path.join(FIXTURES, name));
  const result = parseTrajectoryBytes(name, bytes);
  expect(result.errors).toEqual([]);
  const raw = JSON.parse(bytes.toString('utf8')) as RawDoc;
  return { spans: raw.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)), trajectories: result.trajectories };
}

const attributesOf = (span: RawSpan): Record<string, string> =>
  Object.fromEntries(span.attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? '']));
const byStart = (a: RawSpan, b: RawSpan) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1);

interface Expected {
  roles: string[];
  toolCalls: number;
}

/** GenAI v1.37: the last chat span's system instructions, input and output messages; tool spans whose call id no message part names. */
function expectedGenAi(spans: RawSpan[]): Expected {
  const chats = spans.filter((s) => attributesOf(s)['gen_ai.operation.name'] === 'chat').sort(byStart);
  const last = attributesOf(chats[chats.length - 1]);
  type Part = { type: string; id?: string };
  const input = JSON.parse(last['gen_ai.input.messages']) as { role: string; parts: Part[] }[];
  const output = JSON.parse(last['gen_ai.output.messages']) as { role: string; parts: Part[] }[];
  const conversation = [...input, output[0]];
  const ids = new Set(conversation.flatMap((m) => m.parts.flatMap((p) => (p.id ? [p.id] : []))));
  const strayTools = spans.filter((s) => attributesOf(s)['gen_ai.operation.name'] === 'execute_tool' && !ids.has(attributesOf(s)['gen_ai.tool.call.id']));
  return {
    roles: [...(last['gen_ai.system_instructions'] ? ['system'] : []), ...conversation.map((m) => m.role), ...strayTools.map(() => 'tool')],
    toolCalls: conversation.flatMap((m) => m.parts.filter((p) => p.type === 'tool_call')).length + strayTools.length,
  };
}

/** OpenInference: the last LLM span's flattened messages, read from the attribute keys. */
function expectedOpenInference(spans: RawSpan[]): Expected {
  const llms = spans.filter((s) => attributesOf(s)['openinference.span.kind'] === 'LLM').sort(byStart);
  const last = attributesOf(llms[llms.length - 1]);
  const roles = (list: string) =>
    Object.keys(last)
      .map((k) => new RegExp(`^llm\\.${list}\\.(\\d+)\\.message\\.role$`).exec(k))
      .filter((m) => m !== null)
      .sort((a, b) => Number(a[1]) - Number(b[1]))
      .map((m) => last[m[0]]);
  const calls = new Set(Object.keys(last).flatMap((k) => /^llm\.(input|output)_messages\.(\d+)\.message\.tool_calls\.(\d+)\./.exec(k)?.slice(1).join('.') ?? []));
  return { roles: [...roles('input_messages'), roles('output_messages')[0]], toolCalls: calls.size };
}

function expectCounts(t: Trajectory, expected: Expected): void {
  expect(t.messages.map((m) => m.role)).toEqual(expected.roles);
  expect(t.actionSteps).toEqual(expected.roles.flatMap((role, i) => (role === 'assistant' ? [i] : [])));
  expect(t.messages.flatMap((m) => m.toolCalls ?? [])).toHaveLength(expected.toolCalls);
  expect(t.labels).toEqual({});
}

describe('OpenTelemetry GenAI spans (semconv v1.37 attributes, v1.28–v1.36 events)', () => {
  it('one trajectory per trace with GenAI spans, in document order; a trace of HTTP spans only is not one', () => {
    const { spans, trajectories } = load('otel-genai-semconv-1.37.json');
    const genAiTraces = [...new Set(spans.filter((s) => s.attributes.some((a) => a.key.startsWith('gen_ai.'))).map((s) => s.traceId))];
    expect(trajectories.map((t) => [t.id, t.format])).toEqual(genAiTraces.map((id) => [id, 'otel']));
  });

  it('v1.37 attributes: the conversation of the last model call, tool results by call id, a tool run no call made', () => {
    const { spans, trajectories } = load('otel-genai-semconv-1.37.json');
    const [agent] = trajectories;
    expectCounts(agent, expectedGenAi(spans.filter((s) => s.traceId === agent.id)));
    expect(agent.messages[0].content).toBe('You are a weather assistant. Use the tools.');
    expect(agent.messages[2].toolCalls).toEqual([
      { id: 'call_paris', name: 'get_weather', arguments: { city: 'Paris' } },
      { id: 'call_oslo', name: 'get_weather', arguments: { city: 'Oslo' } },
    ]);
    // Results from the second call's input; the tool spans name their tool.
    expect(agent.messages.slice(3, 5)).toEqual([
      { role: 'tool', sourceRole: 'tool', content: '18 °C, sunny', toolCallId: 'call_paris', toolName: 'get_weather' },
      { role: 'tool', sourceRole: 'tool', content: JSON.stringify({ temp_c: 9, sky: 'rain' }), toolCallId: 'call_oslo', toolName: 'get_weather' },
    ]);
    // Reasoning parts stay in place as <think>…</think>, as the Claude Code and Codex adapters keep thinking.
    expect(agent.messages[5].content).toBe('<think>\nBoth results are in.\n</think>\nParis: 18 °C and sunny. Oslo: 9 °C with rain.');
    expect(agent.messages[6]).toEqual({
      role: 'tool',
      sourceRole: 'tool',
      content: 'queued',
      toolCallId: 'app-notify-1',
      toolName: 'send_notification',
      toolCalls: [{ id: 'app-notify-1', name: 'send_notification', arguments: { to: 'user-12', text: 'Forecast ready' }, rawArguments: '{"to": "user-12", "text": "Forecast ready"}' }],
    });
    expect(agent.metadata).toMatchObject({ model: 'gpt-4.1-mini-2025-04-14', agent: 'weather-agent', service: 'weather-agent', modelCalls: 3, duplicateModelCalls: 1, conventions: ['gen_ai'] });
    expect(agent.metadata.historyRewrites).toBeUndefined();
    const chats = spans.filter((s) => s.traceId === agent.id && attributesOf(s)['gen_ai.operation.name'] === 'chat').length;
    const tools = spans.filter((s) => s.traceId === agent.id && attributesOf(s)['gen_ai.operation.name'] === 'execute_tool').length;
    const first = spans.filter((s) => s.traceId === agent.id).sort(byStart)[0];
    expect(Object.fromEntries(describeTrajectory(agent).facts.map((f) => [f.key, f.value]))).toEqual({
      service: 'weather-agent',
      agent: 'weather-agent',
      model: 'gpt-4.1-mini-2025-04-14',
      'trace-start': new Date(Number(BigInt(first.startTimeUnixNano) / 1_000_000n)).toISOString(),
      spans: `${chats} model calls, ${tools} tool runs of ${spans.filter((s) => s.traceId === agent.id).length} spans`,
      'duplicate-calls': '1 model call (read once)',
    });
  });

  it('v1.28–v1.36 events: system and user message events, the choice event as the answer', () => {
    const { trajectories } = load('otel-genai-semconv-1.37.json');
    const qa = trajectories[1];
    expectCounts(qa, { roles: ['system', 'user', 'assistant'], toolCalls: 0 });
    expect(qa.messages.map((m) => [m.sourceRole, m.content])).toEqual([
      ['gen_ai.system.message', 'Answer in one sentence.'],
      ['gen_ai.user.message', 'What is the capital of Australia?'],
      ['gen_ai.choice', 'The capital of Australia is Canberra.'],
    ]);
    expect(qa.metadata).toMatchObject({ rootSpan: 'POST /ask', model: 'claude-sonnet-4', service: 'qa-api' });
  });
});

describe('OTLP JSON Lines (one export request per line)', () => {
  it('a trace spread over two batches reads as the same trajectory as in one document; it names its first line', () => {
    const { trajectories: whole } = load('otel-genai-semconv-1.37.json');
    const name = 'otel-genai-batches.jsonl';
    const text = readFileSync(path.join(FIXTURES, name), 'utf8');
    const result = parseTrajectoryText(name, text);
    expect(result.errors).toEqual([]);
    const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as RawDoc);
    const firstLine = (traceId: string) => 1 + lines.findIndex((doc) => doc.resourceSpans.some((r) => r.scopeSpans.some((s) => s.spans.some((span) => span.traceId === traceId))));
    expect(result.trajectories.map((t) => [t.id, t.metadata.sourceLine])).toEqual(whole.map((t) => [t.id, firstLine(t.id)]));
    result.trajectories.forEach((t, i) => {
      expect(t.messages).toEqual(whole[i].messages);
      expect(t.actionSteps).toEqual(whole[i].actionSteps);
      expect(t.labels).toEqual(whole[i].labels);
    });
  });
});

describe('OpenInference spans', () => {
  it('LLM spans’ flattened messages, a TOOL span without a call id matched by tool and arguments', () => {
    const { spans, trajectories } = load('otel-openinference.json');
    expect(trajectories).toHaveLength(1);
    const [t] = trajectories;
    expectCounts(t, expectedOpenInference(spans));
    expect(t.messages[2].toolCalls).toEqual([
      { id: 'toolu_01', name: 'bash', arguments: { command: "find src -name '*.py' | wc -l" }, rawArguments: '{"command": "find src -name \'*.py\' | wc -l"}' },
    ]);
    expect(t.messages[3]).toEqual({ role: 'tool', sourceRole: 'tool', content: '42', toolCallId: 'toolu_01', toolName: 'bash' });
    expect(t.messages[4].content).toBe('<think>\nwc printed 42.\n</think>\nThere are 42 Python files in src/.');
    expect(t.metadata).toMatchObject({ model: 'claude-3-7-sonnet-20250219', agent: 'coding-agent', modelCalls: 2, toolSpans: 1, conventions: ['openinference'] });
  });
});

describe('assembly', () => {
  const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const chatSpan = (id: string, start: number, input: unknown[], output: unknown[]) => ({
    traceId: 't1',
    spanId: id,
    name: 'chat',
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + 1),
    attributes: [attr('gen_ai.operation.name', 'chat'), attr('gen_ai.input.messages', JSON.stringify(input)), attr('gen_ai.output.messages', JSON.stringify(output))],
  });
  const msg = (role: string, text: string) => ({ role, parts: [{ type: 'text', content: text }] });
  const doc = (spans: unknown[]) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

  it('a call whose history was rewritten (summarised) is counted and its new messages kept', () => {
    const result = parseTrajectoryText('t.json', doc([
      chatSpan('s2', 20, [msg('user', 'task'), msg('assistant', 'step 1'), msg('user', 'go on')], [msg('assistant', 'step 2')]),
      chatSpan('s1', 10, [msg('user', 'task')], [msg('assistant', 'step 1')]),
      chatSpan('s3', 30, [msg('user', 'task'), msg('user', 'summary: did step 1 and 2')], [msg('assistant', 'done')]),
    ]));
    expect(result.errors).toEqual([]);
    const [t] = result.trajectories;
    // Spans are read in start order whatever their order in the file.
    expect(t.messages.map((m) => m.content)).toEqual(['task', 'step 1', 'go on', 'step 2', 'summary: did step 1 and 2', 'done']);
    expect(t.actionSteps).toEqual([1, 3, 5]);
    expect(t.metadata.historyRewrites).toBe(1);
  });

  it('model calls without recorded content: the trace is refused with the span, other traces load', () => {
    const bare = { traceId: 't2', spanId: 'x', name: 'chat gpt-4o', startTimeUnixNano: '5', attributes: [attr('gen_ai.operation.name', 'chat'), attr('gen_ai.request.model', 'gpt-4o')] };
    // With the call's tool run recorded: still no conversation to read.
    const tool = { traceId: 't2', spanId: 'y', name: 'execute_tool ls', startTimeUnixNano: '6', attributes: [attr('gen_ai.operation.name', 'execute_tool'), attr('gen_ai.tool.name', 'ls')] };
    const result = parseTrajectoryText('t.json', doc([chatSpan('s1', 10, [msg('user', 'hi')], [msg('assistant', 'hello')]), bare, tool]));
    expect(result.trajectories.map((t) => t.id)).toEqual(['t1']);
    expect(result.errors.map((e) => e.message)).toEqual([
      't.json: OpenTelemetry traces (OTLP JSON): trace "t2" not loaded: at resourceSpans[0].scopeSpans[0].spans[1]: expected the messages of the trace’s model calls (gen_ai.input.messages / gen_ai.output.messages, the gen_ai message events, or llm.input_messages / llm.output_messages): content may not have been recorded, or was recorded as log events, which a trace file does not hold, found 1 model call span without any',
    ]);
  });

  it('start times written as JSON numbers (rounded past 2^53) still order the calls', () => {
    const span = (id: string, start: number, text: string) => ({ ...chatSpan(id, 0, [msg('user', 'q')], [msg('assistant', text)]), startTimeUnixNano: start, endTimeUnixNano: start + 1e6 });
    const result = parseTrajectoryText('t.json', doc([span('late', 1772442000200000000, 'second'), span('early', 1772442000100000000, 'first')]));
    expect(result.errors).toEqual([]);
    expect(result.trajectories[0].messages.map((m) => m.content)).toEqual(['q', 'first', 'second']);
    expect(result.trajectories[0].metadata.historyRewrites).toBe(1);
  });

  it('messages recorded structured (arrayValue / kvlistValue) read as their JSON-string form does', () => {
    const kv = (value: Record<string, unknown>): unknown => ({ kvlistValue: { values: Object.entries(value).map(([key, v]) => ({ key, value: any(v) })) } });
    const any = (v: unknown): unknown =>
      typeof v === 'string' ? { stringValue: v } : Array.isArray(v) ? { arrayValue: { values: v.map(any) } } : kv(v as Record<string, unknown>);
    const input = [msg('user', 'hi')];
    const output = [{ role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'look', arguments: { q: 'x' } }] }];
    const structured = { ...chatSpan('s1', 10, [], []), attributes: [attr('gen_ai.operation.name', 'chat'), { key: 'gen_ai.input.messages', value: any(input) }, { key: 'gen_ai.output.messages', value: any(output) }] };
    const asStructured = parseTrajectoryText('a.json', doc([structured]));
    const asStrings = parseTrajectoryText('b.json', doc([chatSpan('s1', 10, input, output)]));
    expect(asStructured.errors).toEqual([]);
    expect(asStructured.trajectories[0].messages).toEqual(asStrings.trajectories[0].messages);
    expect(asStructured.trajectories[0].messages[1].toolCalls).toEqual([{ id: 'c1', name: 'look', arguments: { q: 'x' } }]);
  });

  it('v1.28–v1.36 events with the body in the event’s own attributes; a tool message answers its call by id', () => {
    const event = (name: string, attributes: { key: string; value: unknown }[]) => ({ timeUnixNano: '10', name, attributes });
    const span = {
      traceId: 't1',
      spanId: 's1',
      name: 'chat',
      startTimeUnixNano: '10',
      attributes: [attr('gen_ai.operation.name', 'chat')],
      events: [
        event('gen_ai.user.message', [attr('content', 'weather?')]),
        event('gen_ai.assistant.message', [attr('tool_calls', JSON.stringify([{ id: 'w1', type: 'function', function: { name: 'weather', arguments: '{}' } }]))]),
        event('gen_ai.tool.message', [attr('content', 'rain'), attr('id', 'w1')]),
        event('gen_ai.choice', [attr('index', '0'), attr('finish_reason', 'stop'), { key: 'message', value: { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'Take an umbrella.' } }] } } }]),
      ],
    };
    const result = parseTrajectoryText('t.json', doc([span]));
    expect(result.errors).toEqual([]);
    const [t] = result.trajectories;
    expect(t.messages.map((m) => [m.role, m.content, m.toolCallId])).toEqual([
      ['user', 'weather?', undefined],
      ['assistant', '', undefined],
      ['tool', 'rain', 'w1'],
      ['assistant', 'Take an umbrella.', undefined],
    ]);
  });

  it('OTLP JSON Lines named .json (the Collector writes whatever name it is given) read the same', () => {
    const text = readFileSync(path.join(FIXTURES, 'otel-genai-batches.jsonl'), 'utf8');
    const asJson = parseTrajectoryText('traces.json', text);
    expect(asJson.errors).toEqual([]);
    expect(asJson.trajectories.map((t) => [t.id, t.messages.length])).toEqual(parseTrajectoryText('traces.jsonl', text).trajectories.map((t) => [t.id, t.messages.length]));
  });

  it('Grafana Tempo’s download ({batches}) and OTLP before v0.15 (instrumentationLibrarySpans) read as OTLP does', () => {
    const spans = [chatSpan('s1', 10, [msg('user', 'hi')], [msg('assistant', 'hello')])];
    const current = parseTrajectoryText('a.json', doc(spans));
    const older = parseTrajectoryText('b.json', JSON.stringify({ batches: [{ resource: { attributes: [] }, instrumentationLibrarySpans: [{ spans }] }] }));
    expect(older.errors).toEqual([]);
    expect(older.trajectories.map((t) => [t.format, t.id, t.messages])).toEqual(current.trajectories.map((t) => [t.format, t.id, t.messages]));
  });

  it('a document without GenAI or OpenInference spans says so', () => {
    const result = parseTrajectoryText('t.json', doc([{ traceId: 'a', spanId: 'b', name: 'GET /', startTimeUnixNano: '1', attributes: [attr('http.request.method', 'GET')] }]));
    expect(result.errors.map((e) => e.message)).toEqual([
      't.json: OpenTelemetry traces (OTLP JSON): at resourceSpans: expected spans following the GenAI semantic conventions (gen_ai.operation.name) or OpenInference (openinference.span.kind), found 1 span in 1 trace, none of them',
    ]);
  });
});

/** opentelemetry-proto v1's fields (trace, common, resource) whose protobuf field name differs from their OTLP/JSON name. */
const PROTO_FIELDS = [
  'resource_spans', 'scope_spans', 'instrumentation_library_spans', 'schema_url', 'trace_id', 'span_id', 'parent_span_id', 'trace_state',
  'start_time_unix_nano', 'end_time_unix_nano', 'time_unix_nano', 'dropped_attributes_count', 'dropped_events_count', 'dropped_links_count',
  'string_value', 'bool_value', 'int_value', 'double_value', 'array_value', 'kvlist_value', 'bytes_value',
];
const SNAKE = new Map(PROTO_FIELDS.map((f) => [f.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), f]));
const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
/** A document as protobuf's JSON printer writes it with preserving_proto_field_name=True: field names, enums by name. */
function toSnake(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toSnake);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [SNAKE.get(k) ?? k, k === 'kind' && typeof v === 'number' ? SPAN_KINDS[v] : toSnake(v)]));
}

describe('protobuf field names (snake_case, as preserving_proto_field_name=True writes them)', () => {
  const snakeText = (text: string) => JSON.stringify(toSnake(JSON.parse(text)));
  it.each(['otel-genai-semconv-1.37.json', 'otel-openinference.json'])('%s in snake_case gives the same trajectories', (name) => {
    const text = readFileSync(path.join(FIXTURES, name), 'utf8');
    const snake = snakeText(text);
    expect(snake).toContain('"resource_spans":[{');
    expect(snake).not.toMatch(/"(resourceSpans|scopeSpans|traceId|spanId|startTimeUnixNano|stringValue)"/);
    const camel = parseTrajectoryText(name, text);
    expect(camel.trajectories.length).toBeGreaterThan(0);
    expect(parseTrajectoryText(name, snake)).toEqual(camel);
    // Only the outer structure in snake_case, the spans as the spec writes them: mixed spellings read too.
    const mixed = JSON.parse(text) as { resourceSpans: unknown[] };
    expect(parseTrajectoryText(name, JSON.stringify({ resource_spans: mixed.resourceSpans }))).toEqual(camel);
  });

  it('OTLP JSON Lines in snake_case: the same trajectories at the same lines; detection picks the OTel formats', () => {
    const name = 'otel-genai-batches.jsonl';
    const text = readFileSync(path.join(FIXTURES, name), 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    const snake = lines.map(snakeText);
    const camel = parseTrajectoryText(name, text);
    expect(camel.trajectories.length).toBeGreaterThan(0);
    expect(parseTrajectoryText(name, `${snake.join('\n')}\n`)).toEqual(camel);
    expect(detectSession(snake.map((l) => JSON.parse(l) as unknown))?.name).toBe('OpenTelemetry traces (OTLP JSON Lines)');
    const doc = toSnake(JSON.parse(readFileSync(path.join(FIXTURES, 'otel-genai-semconv-1.37.json'), 'utf8')));
    expect(detectFormat(doc)?.id).toBe('otel');
    expect(detectFormat({ batches: [{ instrumentation_library_spans: [{ spans: [] }] }] })?.id).toBe('otel');
  });

  it('errors name the place with the keys as the file writes them', () => {
    const span = (id: string, extra: Record<string, unknown>) => ({
      trace_id: 't1', span_id: id, name: 'chat', start_time_unix_nano: '10',
      attributes: [{ key: 'gen_ai.operation.name', value: { string_value: 'chat' } }, { key: 'gen_ai.input.messages', value: { string_value: '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]' } }],
      ...extra,
    });
    const doc = JSON.stringify({ resource_spans: [{ scope_spans: [{ spans: [
      span('a', {}),
      span('b', { start_time_unix_nano: 'soon' }),
      span('c', { trace_id: undefined }),
      span('d', { events: [{ name: 'e', time_unix_nano: '1', attributes: [{ key: 'n', value: { int_value: 'many' } }] }] }),
    ] }] }] });
    const result = parseTrajectoryText('t.json', doc);
    expect(result.trajectories.map((t) => t.id)).toEqual(['t1']);
    const at = 't.json: OpenTelemetry traces (OTLP JSON): a span left out: at resource_spans[0].scope_spans[0]';
    expect(result.errors.map((e) => e.message)).toEqual([
      `${at}.spans[1].start_time_unix_nano: expected the span’s start time (nanoseconds since the epoch, a decimal string), found the string "soon"`,
      `${at}.spans[2].trace_id: expected the span’s trace id (a hex string), found nothing (the field is missing)`,
      `${at}.spans[3].events[0].attributes[0].value.int_value: expected an integer (a decimal string or a number), found the string "many"`,
    ]);
    const none = parseTrajectoryText('t.json', JSON.stringify({ resource_spans: [{ scope_spans: [{ spans: [{ trace_id: 'a', span_id: 'b', start_time_unix_nano: '1' }] }] }] }));
    expect(none.errors.map((e) => e.message)).toEqual([
      't.json: OpenTelemetry traces (OTLP JSON): at resource_spans: expected spans following the GenAI semantic conventions (gen_ai.operation.name) or OpenInference (openinference.span.kind), found 1 span in 1 trace, none of them',
    ]);
  });
});

describe('the CLI reads the same', () => {
  it('inspect --json lists every trace of the fixtures with the counts worked out from the raw spans', () => {
    const names = ['otel-genai-semconv-1.37.json', 'otel-genai-batches.jsonl', 'otel-openinference.json'];
    const files = names.map((name) => path.relative(ROOT, path.join(FIXTURES, name)));
    const result = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', 'inspect', '--json', ...files], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const rows = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const { spans: genAi } = load(names[0]);
    const { spans: openInference } = load(names[2]);
    const agentTrace = genAi[0].traceId;
    const qaTrace = genAi.find((s) => s.name.startsWith('POST'))!.traceId;
    const agent = expectedGenAi(genAi.filter((s) => s.traceId === agentTrace));
    const qa: Expected = { roles: ['system', 'user', 'assistant'], toolCalls: 0 };
    const oi = expectedOpenInference(openInference);
    const row = (file: string, id: string, e: Expected) => [file, 'otel', id, e.roles.length, e.roles.flatMap((r, i) => (r === 'assistant' ? [i] : [])), e.toolCalls, null, null];
    expect(rows.map((r) => [r.file, r.format, r.id, r.messages, r.actionSteps, r.toolCalls, r.reward, r.success])).toEqual([
      row(files[0], agentTrace, agent),
      row(files[0], qaTrace, qa),
      row(files[1], agentTrace, agent),
      row(files[1], qaTrace, qa),
      row(files[2], openInference[0].traceId, oi),
    ]);
  });
});
