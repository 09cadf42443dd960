/**
 * OTLP JSON as OpenTelemetry's exporters write traces (the OTLP/JSON encoding of an
 * ExportTraceServiceRequest, opentelemetry-proto v1): `{resourceSpans: [{resource: {attributes},
 * scopeSpans: [{scope, spans: [{traceId, spanId, parentSpanId, name, kind, startTimeUnixNano,
 * endTimeUnixNano, attributes: [{key, value: AnyValue}], events: [{timeUnixNano, name, attributes}],
 * status}]}]}]}`. Ids are hex strings, 64-bit integers decimal strings (numbers are accepted too),
 * an AnyValue one of stringValue / boolValue / intValue / doubleValue / arrayValue / kvlistValue /
 * bytesValue. Also read: Grafana Tempo's trace download, `{batches: [...]}` in place of
 * `resourceSpans` (its ids base64, kept as written), and OTLP before v0.15's
 * `instrumentationLibrarySpans` in place of `scopeSpans`. Every field is read by its protobuf field
 * name too (snake_case: `resource_spans`, `scope_spans`, `trace_id`, `start_time_unix_nano`,
 * `string_value`, …), as protobuf's JSON printers write it with `preserving_proto_field_name=True`
 * and its parsers accept it; spellings may mix, and an error names the place with the keys as the
 * file writes them (a field missing: spelled as the object's other keys are). Enums (`kind`,
 * `status.code`) are not read, so numbers and names both pass. This module turns that into plain
 * spans with decoded attributes; which conventions a span follows is otel-genai.ts' and
 * openinference.ts' business.
 */
import { requireJsonTextDepth } from '../json-depth';
import type { Message, ToolCall } from '../types';
import { describeValue, FormatError, isObject, pathJoin, requireArray, requireObject, requireString, type JsonObject } from './shape';

export interface OtlpEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: JsonObject;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: JsonObject;
  events: OtlpEvent[];
  /** The resource's attributes (`service.name`, …), shared by its spans. */
  resource: JsonObject;
  /** JSON path of the span in the document, for error messages. */
  path: string;
  /** Position of the span among the document's spans (0-based), the index its errors are reported at. */
  ordinal: number;
}

/** How an object spells OTLP's fields: lowerCamelCase as OTLP/JSON requires, or the protobuf field names. */
export type Spelling = 'json' | 'proto';

/** The protobuf field name of an OTLP/JSON name: `startTimeUnixNano` → `start_time_unix_nano`. */
const protoName = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Text naming OTLP fields (`a span {traceId, …}`) in the given spelling. */
const spell = (text: string, spelling: Spelling): string => (spelling === 'json' ? text : text.replace(/\b[a-z]+(?:[A-Z][a-z]*)+\b/g, protoName));

/** The spelling an object's own keys show (one with an upper-case letter or an underscore), else `inherited`. */
function spellingOf(value: JsonObject, inherited: Spelling): Spelling {
  for (const key of Object.keys(value)) {
    if (/[A-Z]/.test(key)) return 'json';
    if (key.includes('_')) return 'proto';
  }
  return inherited;
}

/**
 * A field by either spelling, its OTLP/JSON name first: its value and the key it is under (for
 * paths); a field that is not there is named in `spelling`.
 */
function field(value: JsonObject, name: string, spelling: Spelling = 'json'): { key: string; value: unknown } {
  if (value[name] !== undefined) return { key: name, value: value[name] };
  const proto = protoName(name);
  if (value[proto] !== undefined) return { key: proto, value: value[proto] };
  return { key: spelling === 'json' ? name : proto, value: undefined };
}

const ANY_VALUE_FIELDS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

/** The JSON value an AnyValue holds; `intValue`s beyond 2^53 stay decimal strings rather than lose digits. */
export function decodeAnyValue(value: unknown, path: string, spelling: Spelling = 'json'): unknown {
  const any = requireObject(value, path, spell('an AnyValue {stringValue | boolValue | intValue | doubleValue | arrayValue | kvlistValue | bytesValue}', spelling));
  const kind = ANY_VALUE_FIELDS.find((name) => field(any, name).value !== undefined);
  // An empty AnyValue is OTLP's way of writing an unset value.
  if (kind === undefined) return null;
  const { key, value: raw } = field(any, kind);
  const at = pathJoin(path, key);
  switch (kind) {
    case 'stringValue':
      return requireString(raw, at, 'a string');
    case 'boolValue':
      if (typeof raw !== 'boolean') throw FormatError.at(at, 'true or false', raw);
      return raw;
    case 'intValue':
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
      if (typeof raw === 'string' && /^-?\d{1,20}$/.test(raw)) return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
      throw FormatError.at(at, 'an integer (a decimal string or a number)', raw);
    case 'doubleValue':
      if (typeof raw === 'number') return raw;
      // The proto3 JSON mapping writes non-finite doubles as strings.
      if (raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity') return Number(raw);
      throw FormatError.at(at, 'a number', raw);
    case 'arrayValue': {
      const array = requireObject(raw, at, 'an ArrayValue {values: […]}');
      if (array.values === undefined) return [];
      const arrayPath = pathJoin(at, 'values');
      const inner = spellingOf(any, spelling);
      return requireArray(array.values, arrayPath, 'an array of AnyValues').map((item, i) => decodeAnyValue(item, pathJoin(arrayPath, i), inner));
    }
    case 'kvlistValue': {
      const list = requireObject(raw, at, 'a KeyValueList {values: […]}');
      return decodeAttributes(list.values ?? [], pathJoin(at, 'values'), spellingOf(any, spelling));
    }
    case 'bytesValue':
      return requireString(raw, at, 'base64 text (a string)');
  }
}

/** `[{key, value}]` as an object keyed by attribute name (a repeated key: the last one wins, as in the SDKs). */
export function decodeAttributes(value: unknown, path: string, spelling: Spelling = 'json'): JsonObject {
  if (value === undefined || value === null) return {};
  const out: JsonObject = {};
  requireArray(value, path, 'an array of attributes [{key, value}]').forEach((item, i) => {
    const itemPath = pathJoin(path, i);
    const kv = requireObject(item, itemPath, 'an attribute {key, value}');
    const key = requireString(kv.key, pathJoin(itemPath, 'key'), 'the attribute’s name (a string)');
    out[key] = kv.value === undefined || kv.value === null ? null : decodeAnyValue(kv.value, pathJoin(itemPath, 'value'), spelling);
  });
  return out;
}

/** A fixed64 nanosecond time: a decimal string as OTLP/JSON writes it, or a non-negative integer. */
function readNanos(value: unknown, path: string, expected: string): bigint {
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  // A JSON number this large is already rounded to a double; its order is what matters here.
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return BigInt(Math.trunc(value));
  throw FormatError.at(path, expected, value);
}

function readId(value: unknown, path: string, expected: string): string {
  if (typeof value !== 'string' || value === '') throw FormatError.at(path, expected, value);
  return value;
}

function readSpan(value: unknown, path: string, resource: JsonObject, ordinal: number, inherited: Spelling): OtlpSpan {
  const raw = requireObject(value, path, spell('a span {traceId, spanId, name, startTimeUnixNano, attributes}', inherited));
  const spelling = spellingOf(raw, inherited);
  const at = (name: string) => {
    const found = field(raw, name, spelling);
    return { value: found.value, path: pathJoin(path, found.key) };
  };
  const traceId = at('traceId');
  const spanId = at('spanId');
  const start = at('startTimeUnixNano');
  const end = at('endTimeUnixNano');
  const span: OtlpSpan = {
    traceId: readId(traceId.value, traceId.path, 'the span’s trace id (a hex string)'),
    spanId: readId(spanId.value, spanId.path, 'the span’s id (a hex string)'),
    name: typeof raw.name === 'string' ? raw.name : '',
    startTimeUnixNano: readNanos(start.value, start.path, 'the span’s start time (nanoseconds since the epoch, a decimal string)'),
    endTimeUnixNano: 0n,
    attributes: decodeAttributes(raw.attributes, pathJoin(path, 'attributes'), spelling),
    events: [],
    resource,
    path,
    ordinal,
  };
  span.endTimeUnixNano = end.value === undefined ? span.startTimeUnixNano : readNanos(end.value, end.path, 'the span’s end time (nanoseconds since the epoch, a decimal string)');
  // An empty parentSpanId is how OTLP/JSON writes a root span.
  const parent = at('parentSpanId').value;
  if (typeof parent === 'string' && parent !== '') span.parentSpanId = parent;
  if (raw.events !== undefined && raw.events !== null) {
    const eventsPath = pathJoin(path, 'events');
    span.events = requireArray(raw.events, eventsPath, 'an array of span events').map((item, i) => {
      const eventPath = pathJoin(eventsPath, i);
      const event = requireObject(item, eventPath, spell('a span event {timeUnixNano, name, attributes}', spelling));
      const eventSpelling = spellingOf(event, spelling);
      const time = field(event, 'timeUnixNano', eventSpelling);
      return {
        name: requireString(event.name, pathJoin(eventPath, 'name'), 'the event’s name (a string)'),
        timeUnixNano:
          time.value === undefined ? span.startTimeUnixNano : readNanos(time.value, pathJoin(eventPath, time.key), 'the event’s time (nanoseconds since the epoch, a decimal string)'),
        attributes: decodeAttributes(event.attributes, pathJoin(eventPath, 'attributes'), eventSpelling),
      };
    });
  }
  return span;
}

/** The document's list of resource spans and its key as written: `resourceSpans` / `resource_spans`, or Tempo's `batches`. */
export function otlpRootKey(value: JsonObject): string {
  const found = field(value, 'resourceSpans');
  return found.value === undefined && Array.isArray(value.batches) ? 'batches' : found.key;
}

/** A resource's list of scope spans and its key as written: `scopeSpans`, or `instrumentationLibrarySpans` (OTLP before v0.15). */
function scopeSpansKey(value: JsonObject, spelling: Spelling): string {
  const scopes = field(value, 'scopeSpans', spelling);
  const older = field(value, 'instrumentationLibrarySpans');
  return scopes.value === undefined && Array.isArray(older.value) ? older.key : scopes.key;
}

/** Signature check: `resourceSpans` (or `batches`) is an array whose first entry holds `scopeSpans` (an array), by either spelling. */
export function probeOtlp(value: unknown): { score: number; path: string; expected: string; found: string } | null {
  if (!isObject(value)) return { score: 0, path: '', expected: 'an object {resourceSpans: […]}', found: describeValue(value) };
  const key = otlpRootKey(value);
  const list = value[key];
  if (!Array.isArray(list)) return { score: 0, path: key, expected: 'the OTLP resource spans (an array)', found: describeValue(list) };
  const first = list[0];
  if (first === undefined) return null;
  const spelling = spellingOf(value, 'json');
  const scopeKey = isObject(first) ? scopeSpansKey(first, spellingOf(first, spelling)) : spell('scopeSpans', spelling);
  const scopes = isObject(first) ? first[scopeKey] : undefined;
  if (!Array.isArray(scopes)) {
    return { score: 2, path: `${key}[0].${scopeKey}`, expected: 'the resource’s scope spans (an array)', found: describeValue(isObject(first) ? scopes : first) };
  }
  return null;
}

/**
 * Every span of the document, in document order, numbered from `firstOrdinal`. A span that cannot
 * be read (no trace id, a broken attribute) is reported through `skip` with its ordinal and left
 * out; the document's structure above the spans must hold, or the whole document is refused.
 */
export function readOtlpSpans(value: unknown, skip: (ordinal: number, error: FormatError) => void, firstOrdinal = 0): OtlpSpan[] {
  const root = requireObject(value, '', 'an object {resourceSpans: […]}');
  const spans: OtlpSpan[] = [];
  let ordinal = firstOrdinal;
  const rootKey = otlpRootKey(root);
  const rootSpelling = spellingOf(root, 'json');
  requireArray(root[rootKey], rootKey, 'the OTLP resource spans (an array)').forEach((item, r) => {
    const rsPath = pathJoin(rootKey, r);
    const rs = requireObject(item, rsPath, spell('resource spans {resource, scopeSpans}', rootSpelling));
    const rsSpelling = spellingOf(rs, rootSpelling);
    const resource = isObject(rs.resource) ? decodeAttributes(rs.resource.attributes, pathJoin(pathJoin(rsPath, 'resource'), 'attributes'), spellingOf(rs.resource, rsSpelling)) : {};
    const scopeKey = scopeSpansKey(rs, rsSpelling);
    const scopesPath = pathJoin(rsPath, scopeKey);
    requireArray(rs[scopeKey], scopesPath, 'the resource’s scope spans (an array)').forEach((scopeItem, s) => {
      const scopePath = pathJoin(scopesPath, s);
      const scope = requireObject(scopeItem, scopePath, 'scope spans {scope, spans}');
      if (scope.spans === undefined || scope.spans === null) return;
      const spansPath = pathJoin(scopePath, 'spans');
      const scopeSpelling = spellingOf(scope, rsSpelling);
      requireArray(scope.spans, spansPath, 'the scope’s spans (an array)').forEach((spanItem, k) => {
        const index = ordinal++;
        try {
          spans.push(readSpan(spanItem, pathJoin(spansPath, k), resource, index, scopeSpelling));
        } catch (error) {
          if (!(error instanceof FormatError)) throw error;
          // The rest of its trace still loads: say so, as a refused trace's error says what is lost.
          error.message = `a span left out: ${error.message}`;
          skip(index, error);
        }
      });
    });
  });
  return spans;
}

/** Start time, then end time, then document order: the order a trace's spans happened in. */
export function compareSpans(a: OtlpSpan, b: OtlpSpan): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  if (a.endTimeUnixNano !== b.endTimeUnixNano) return a.endTimeUnixNano < b.endTimeUnixNano ? -1 : 1;
  return a.ordinal - b.ordinal;
}

/** The semantic conventions a span was read by. */
export type Convention = 'gen_ai' | 'openinference';

/** What one span says about the conversation: a model call (its input and output) or a tool run. */
export type SpanTurn =
  | {
      kind: 'chat';
      span: OtlpSpan;
      convention: Convention;
      /** The messages the model was sent, as the span records them (the history up to this call). */
      input: Message[];
      /** The messages it returned, one per choice. */
      output: Message[];
      model?: string;
    }
  | {
      kind: 'tool';
      span: OtlpSpan;
      convention: Convention;
      call: ToolCall;
      /** The tool's result as text; undefined when the span does not record it. */
      result?: string;
    };

/** A value recorded either structured or as a JSON string (GenAI allows both for message attributes). */
export function structuredAttribute(span: OtlpSpan, key: string, expected: string): unknown {
  const value = span.attributes[key];
  if (typeof value !== 'string') return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value) as unknown;
  } catch {
    throw new FormatError(attributePath(span, key), `${expected} as JSON text`, `${describeValue(value)}, which is not valid JSON`);
  }
  // A JSON string inside the file may nest no deeper than the file itself may (json-depth.ts).
  requireJsonTextDepth(parsed, attributePath(span, key));
  return parsed;
}

/** The JSON path of a span's attribute, named by its key: `resourceSpans[0]…spans[2].attributes["gen_ai.input.messages"]`. */
export function attributePath(span: OtlpSpan, key: string): string {
  return pathJoin(pathJoin(span.path, 'attributes'), key);
}

/** A tool's result or an argument value as text: strings as they are, anything else as JSON. */
export function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
