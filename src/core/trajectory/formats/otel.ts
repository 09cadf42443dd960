/**
 * OpenTelemetry traces in OTLP JSON (otel-spans.ts) whose spans follow the GenAI semantic
 * conventions (otel-genai.ts, semconv v1.37 attributes and the v1.28–v1.36 events) or OpenInference
 * (openinference.ts): one trajectory per trace (its id the trace id), assembled from its spans in
 * the order they started.
 *
 * Each model call's input repeats the conversation so far. A call's input messages are compared
 * with the conversation built from the calls before it: the longest common prefix (same role,
 * text, tool calls and call id) is already there and is skipped, the rest of the input (tool
 * results, a new user turn) is appended, then the call's output (its first choice; the number of
 * choices is kept). A call whose input does not hold the whole conversation so far (a history
 * rewritten or summarised, a retry, another agent's conversation) is counted in
 * `metadata.historyRewrites` and its differing messages appended after the conversation so far,
 * so nothing is lost. A call recorded
 * twice (a framework span and the provider's span around the same request) counts once.
 *
 * Tool spans add what the model calls do not show: a result whose call (by id, or for a span without
 * one by tool name and arguments) no tool message answers yet is inserted after the assistant
 * message that made the call; a tool run no model call made becomes a tool message carrying the
 * call and its result, placed by time.
 * The assistant messages are the action steps. The conventions define no outcome: no labels.
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Message, Trajectory } from '../types';
import { assistantSteps } from './messages';
import { isOpenInferenceSpan, readOpenInferenceSpan } from './openinference';
import { isGenAiSpan, readGenAiSpan } from './otel-genai';
import { compareSpans, otlpRootKey, probeOtlp, readOtlpSpans, type OtlpSpan, type SpanTurn } from './otel-spans';
import { FormatError, isObject, type JsonObject } from './shape';

function explain(value: unknown): Mismatch | null {
  return probeOtlp(value);
}

/** The turn a span records under whichever convention it follows (GenAI first, when it holds messages). */
function readTurn(span: OtlpSpan): SpanTurn | null {
  const genAi = isGenAiSpan(span) ? readGenAiSpan(span) : null;
  const empty = genAi?.kind === 'chat' && genAi.input.length === 0 && genAi.output.length === 0;
  if (genAi && !empty) return genAi;
  if (isOpenInferenceSpan(span)) return readOpenInferenceSpan(span) ?? genAi;
  return genAi;
}

const messageKey = (m: Message): string => JSON.stringify([m.role, m.content, m.toolCallId ?? null, (m.toolCalls ?? []).map((c) => [c.id ?? null, c.name, c.arguments])]);

interface Timed {
  message: Message;
  /** When the message entered the conversation (a call's start for its input, its end for its output). */
  time: bigint;
}

interface Assembly {
  timeline: Timed[];
  historyRewrites: number;
  duplicateCalls: number;
  extraChoices: number;
}

function assembleChats(turns: readonly Extract<SpanTurn, { kind: 'chat' }>[]): Assembly {
  const out: Assembly = { timeline: [], historyRewrites: 0, duplicateCalls: 0, extraChoices: 0 };
  const seenCalls = new Set<string>();
  /** The timeline's message keys, computed once: each call's input repeats the whole history. */
  const keys: string[] = [];
  const append = (message: Message, time: bigint, key: string) => {
    out.timeline.push({ message, time });
    keys.push(key);
  };
  for (const turn of turns) {
    const inputKeys = turn.input.map(messageKey);
    const outputKeys = turn.output.map(messageKey);
    const signature = `${inputKeys.join('\n')}\n->\n${outputKeys.join('\n')}`;
    if (seenCalls.has(signature)) {
      out.duplicateCalls += 1;
      continue;
    }
    seenCalls.add(signature);
    let common = 0;
    while (common < inputKeys.length && common < keys.length && inputKeys[common] === keys[common]) common++;
    // The call did not see the whole conversation so far: a rewritten history, a retry, another agent
    // (a call whose input was not recorded says nothing about it).
    if (common < keys.length && inputKeys.length > 0) out.historyRewrites += 1;
    for (let i = common; i < turn.input.length; i++) append(turn.input[i], turn.span.startTimeUnixNano, inputKeys[i]);
    if (turn.output.length > 0) append(turn.output[0], turn.span.endTimeUnixNano, outputKeys[0]);
    out.extraChoices += Math.max(0, turn.output.length - 1);
  }
  return out;
}

const argumentsKey = (args: unknown): string => JSON.stringify(args ?? {});

/**
 * Where a tool span's result goes; see the header. A span without a call id is matched to a model's
 * call of the same tool with the same arguments that no earlier span claimed.
 */
function placeToolRun(timeline: Timed[], turn: Extract<SpanTurn, { kind: 'tool' }>, claimed: Set<string>): void {
  const { call, result, span } = turn;
  let callId = call.id;
  if (callId === undefined) {
    const sameCall = timeline
      .flatMap((t) => t.message.toolCalls ?? [])
      .find((c) => c.id !== undefined && !claimed.has(c.id) && c.name === call.name && argumentsKey(c.arguments) === argumentsKey(call.arguments));
    callId = sameCall?.id;
  }
  if (callId !== undefined) {
    claimed.add(callId);
    const answered = timeline.find((t) => t.message.role === 'tool' && t.message.toolCallId === callId);
    if (answered) {
      if (answered.message.toolName === undefined) answered.message.toolName = call.name;
      return;
    }
    const caller = timeline.findIndex((t) => t.message.toolCalls?.some((c) => c.id === callId));
    if (caller >= 0) {
      let at = caller + 1;
      while (at < timeline.length && timeline[at].message.role === 'tool') at++;
      timeline.splice(at, 0, { message: { role: 'tool', sourceRole: 'tool', content: result ?? '', toolCallId: callId, toolName: call.name }, time: span.endTimeUnixNano });
      return;
    }
  }
  const message: Message = { role: 'tool', sourceRole: 'tool', content: result ?? '', toolCalls: [call], toolName: call.name };
  if (call.id !== undefined) message.toolCallId = call.id;
  let at = timeline.findIndex((t) => t.time > span.startTimeUnixNano);
  if (at < 0) at = timeline.length;
  timeline.splice(at, 0, { message, time: span.startTimeUnixNano });
}

function isoTime(nanos: bigint): string {
  return new Date(Number(nanos / 1_000_000n)).toISOString();
}

/** One trace as a trajectory, or the span at fault and why it cannot be; null when none of its spans follows either convention. */
function readTrace(traceId: string, spans: OtlpSpan[]): { trajectory: Trajectory } | { failedAt: OtlpSpan; error: FormatError } | null {
  const ordered = [...spans].sort(compareSpans);
  const turns: SpanTurn[] = [];
  for (const span of ordered) {
    try {
      const turn = readTurn(span);
      if (turn) turns.push(turn);
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      return { failedAt: span, error };
    }
  }
  if (turns.length === 0) return null;
  const chats = turns.filter((t): t is Extract<SpanTurn, { kind: 'chat' }> => t.kind === 'chat');
  const tools = turns.filter((t): t is Extract<SpanTurn, { kind: 'tool' }> => t.kind === 'tool');
  const assembly = assembleChats(chats);
  // Tool runs alone are no agent conversation: nothing in them is the agent's to score.
  if (assembly.timeline.length === 0) {
    const span = chats[0]?.span ?? turns[0].span;
    return {
      failedAt: span,
      error: new FormatError(
        span.path,
        'the messages of the trace’s model calls (gen_ai.input.messages / gen_ai.output.messages, the gen_ai message events, or llm.input_messages / llm.output_messages): content may not have been recorded, or was recorded as log events, which a trace file does not hold',
        chats.length === 0 ? `only tool spans (${tools.length})` : `${chats.length} model call span${chats.length === 1 ? '' : 's'} without any`,
      ),
    };
  }
  const claimed = new Set<string>();
  for (const tool of tools) placeToolRun(assembly.timeline, tool, claimed);
  const messages = assembly.timeline.map((t) => t.message);
  const metadata: JsonObject = {
    traceId,
    start: isoTime(ordered[0].startTimeUnixNano),
    spans: spans.length,
    modelCalls: chats.length,
    toolSpans: tools.length,
    conventions: [...new Set(turns.map((t) => t.convention))],
  };
  const models = [...new Set(chats.flatMap((c) => (c.model === undefined ? [] : [c.model])))];
  if (models.length > 0) metadata.model = models.length === 1 ? models[0] : models;
  const root = ordered.find((s) => s.parentSpanId === undefined);
  if (root) metadata.rootSpan = root.name;
  const service = ordered[0].resource['service.name'];
  if (typeof service === 'string') metadata.service = service;
  const agent = ordered.map((s) => s.attributes['gen_ai.agent.name'] ?? s.attributes['agent.name']).find((n) => typeof n === 'string');
  if (agent !== undefined) metadata.agent = agent;
  if (assembly.historyRewrites > 0) metadata.historyRewrites = assembly.historyRewrites;
  if (assembly.duplicateCalls > 0) metadata.duplicateModelCalls = assembly.duplicateCalls;
  if (assembly.extraChoices > 0) metadata.choicesLeftOut = assembly.extraChoices;
  return { trajectory: { id: traceId, format: 'otel', messages, actionSteps: assistantSteps(messages), labels: {}, metadata } };
}

/** The document's traces in the order their first span appears. */
export function tracesOf(spans: readonly OtlpSpan[]): Map<string, OtlpSpan[]> {
  const traces = new Map<string, OtlpSpan[]>();
  for (const span of spans) {
    const trace = traces.get(span.traceId);
    if (trace) trace.push(span);
    else traces.set(span.traceId, [span]);
  }
  return traces;
}

/**
 * The trajectories of a set of spans (one document, or every line of an OTLP JSON Lines file);
 * a trace that cannot be read is reported through `refuse` with the span at fault.
 */
export function trajectoriesOfSpans(spans: readonly OtlpSpan[], refuse: (span: OtlpSpan, error: FormatError) => void): Trajectory[] {
  const out: Trajectory[] = [];
  for (const [traceId, traceSpans] of tracesOf(spans)) {
    const read = readTrace(traceId, traceSpans);
    if (read === null) continue;
    if ('failedAt' in read) {
      read.error.message = `trace ${JSON.stringify(traceId)} not loaded: ${read.error.message}`;
      refuse(read.failedAt, read.error);
    }
    else out.push(read.trajectory);
  }
  return out;
}

/** Why a set of spans gave no trajectory although no span was refused; `rootKey` is the resource spans' key as the file writes it. */
export function noTraceError(spans: readonly OtlpSpan[], rootKey = 'resourceSpans'): FormatError {
  const expected = 'spans following the GenAI semantic conventions (gen_ai.operation.name) or OpenInference (openinference.span.kind)';
  if (spans.length === 0) return new FormatError(rootKey, expected, 'no spans');
  const traces = tracesOf(spans).size;
  return new FormatError(rootKey, expected, `${spans.length} span${spans.length === 1 ? '' : 's'} in ${traces} trace${traces === 1 ? '' : 's'}, none of them`);
}

function parse(value: unknown, ctx: ParseContext): Trajectory[] {
  let skipped = 0;
  const spans = readOtlpSpans(value, (ordinal, error) => {
    skipped += 1;
    ctx.skipRecord(ordinal, error);
  });
  const trajectories = trajectoriesOfSpans(spans, (span, error) => {
    skipped += 1;
    ctx.skipRecord(span.ordinal, error);
  });
  if (trajectories.length === 0 && skipped === 0) throw noTraceError(spans, isObject(value) ? otlpRootKey(value) : undefined);
  return trajectories;
}

export const otelAdapter: FormatAdapter = {
  id: 'otel',
  name: 'OpenTelemetry traces (OTLP JSON)',
  signature: '{resourceSpans: [{scopeSpans: [{spans: [{traceId, spanId, attributes}]}]}]} with GenAI or OpenInference spans',
  detect: (value) => explain(value) === null,
  explain,
  parse,
};
