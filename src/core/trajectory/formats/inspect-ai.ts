/**
 * Inspect AI eval logs written as `.json`: `{version, status, eval: {task, model, …}, samples: [EvalSample]}`.
 * A sample: `{id, epoch, input, target, messages: [ChatMessage], output: {choices: [{message,
 * logprobs: {content: [{token, logprob, top_logprobs}]}}]}, scores: {name: {value, …}}, attachments}`.
 * Inspect's tool calls are `{id, function: "<name>", arguments: {…}}`. Per-token log-probs belong to
 * `output.choices[0].message`, the sample's final assistant message, and are kept on it.
 * A score value of 1 / 'C' (correct) / true is success; a numeric value is also the reward.
 * Reasoning parts (`{type: "reasoning", reasoning}`) are kept as text of their message, in order,
 * as `<think>…</think>` (the convention every adapter follows: see atif.ts); redacted ones (no
 * readable text) are left out. A tool message with an `error` reads as the
 * model read it: `Error: <message>`. The binary `.eval` form of the same log is read
 * sample by sample with `readInspectSample` (core/trajectory/archive/inspect-eval.ts).
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Labels, Message, TokenLogprob, Trajectory } from '../types';
import { assistantSteps, readToolCalls, requireRole, textFromContent } from './messages';
import { labelDropper, readReward, type DropLabel } from './labels';
import { probeMessageList, readEach } from './records';
import {
  describeValue,
  FormatError,
  isObject,
  omitKeys,
  optionalId,
  optionalNumber,
  optionalString,
  pathJoin,
  requireArray,
  requireObject,
  requireString,
  type JsonObject,
  requireMessageList,
} from './shape';

function explain(value: unknown): Mismatch | null {
  if (!isObject(value)) return { score: 0, path: '', expected: 'an object {version, status, eval, samples}', found: describeValue(value) };
  if (!isObject(value.eval)) return { score: 1, path: 'eval', expected: 'the eval spec `eval` (an object {task, model, …})', found: describeValue(value.eval) };
  if (value.samples === undefined) return null; // a log without samples: parse says so precisely
  if (!Array.isArray(value.samples)) return { score: 2, path: 'samples', expected: 'an array of samples', found: describeValue(value.samples) };
  const first = value.samples[0];
  if (first === undefined) return null;
  if (!isObject(first) || !Array.isArray(first.messages)) {
    return { score: 3, path: 'samples[0].messages', expected: 'the sample’s message list (an array)', found: describeValue(isObject(first) ? first.messages : first) };
  }
  return probeMessageList(first.messages, 'samples[0].messages', 4);
}

const ATTACHMENT_REF = /attachment:\/\/([A-Za-z0-9_-]+)/g;

/** Inspect moves long strings into `sample.attachments` and leaves `attachment://<id>` in their place. */
function resolveAttachments(text: string, attachments: JsonObject): string {
  if (!text.includes('attachment://')) return text;
  return text.replace(ATTACHMENT_REF, (ref, id: string) => (typeof attachments[id] === 'string' ? (attachments[id] as string) : ref));
}

/** Inspect's content parts with reasoning turned into text parts, so textFromContent keeps them in place. */
function withReasoningAsText(content: unknown): unknown {
  if (!Array.isArray(content)) return content;
  return content.map((part) =>
    isObject(part) && part.type === 'reasoning' && typeof part.reasoning === 'string' && part.redacted !== true ? { type: 'text', text: `<think>\n${part.reasoning}\n</think>` } : part,
  );
}

function readMessage(value: unknown, path: string, attachments: JsonObject): Message & { sourceId?: string } {
  const raw = requireObject(value, path, 'a chat message {role, content}');
  const { role, sourceRole } = requireRole(raw.role, pathJoin(path, 'role'));
  const message: Message & { sourceId?: string } = {
    role,
    sourceRole,
    content: resolveAttachments(textFromContent(withReasoningAsText(raw.content), pathJoin(path, 'content')), attachments),
  };
  const toolCalls = readToolCalls(raw.tool_calls, pathJoin(path, 'tool_calls'));
  if (toolCalls) message.toolCalls = toolCalls;
  if (role === 'tool') {
    // A failed call: Inspect's model providers send `Error: <message>` in place of the content
    // (inspect_ai/model/_providers/openai.py and the others), so that is what the model read.
    if (isObject(raw.error)) {
      const reason = requireString(raw.error.message, pathJoin(pathJoin(path, 'error'), 'message'), 'the tool error’s message (a string)');
      message.content = `Error: ${reason}`;
    }
    const callId = optionalId(raw.tool_call_id, pathJoin(path, 'tool_call_id'));
    if (callId !== undefined) message.toolCallId = callId;
    const fn = optionalString(raw.function, pathJoin(path, 'function'));
    if (fn !== undefined) message.toolName = fn;
  }
  const id = optionalString(raw.id, pathJoin(path, 'id'));
  if (id !== undefined) message.sourceId = id;
  return message;
}

function readLogprobs(value: unknown, path: string): TokenLogprob[] {
  const logprobs = requireObject(value, path, 'an object {content: [{token, logprob, top_logprobs}]}');
  const contentPath = pathJoin(path, 'content');
  return requireArray(logprobs.content, contentPath, 'an array of per-token log-probs').map((item, i) => {
    const itemPath = pathJoin(contentPath, i);
    const entry = requireObject(item, itemPath, 'a log-prob {token, logprob, top_logprobs}');
    const token: TokenLogprob = {
      token: requireString(entry.token, pathJoin(itemPath, 'token'), 'the token (a string)'),
      logprob: requireFiniteOrNegInf(entry.logprob, pathJoin(itemPath, 'logprob')),
    };
    if (Array.isArray(entry.top_logprobs)) {
      const topPath = pathJoin(itemPath, 'top_logprobs');
      token.topLogprobs = entry.top_logprobs.map((top, k) => {
        const tp = pathJoin(topPath, k);
        const alt = requireObject(top, tp, 'a top log-prob {token, logprob}');
        return { token: requireString(alt.token, pathJoin(tp, 'token'), 'the token (a string)'), logprob: requireFiniteOrNegInf(alt.logprob, pathJoin(tp, 'logprob')) };
      });
    }
    return token;
  });
}

/**
 * Log-probs are numbers. A probability of 0 is -Infinity, which Python's json writes as the literal
 * `-Infinity` (json-nonfinite.ts reads it) and strict JSON writers as null. NaN and +Infinity are no
 * log-probability: the sample is refused with this path rather than scored with them.
 */
function requireFiniteOrNegInf(value: unknown, path: string): number {
  if (typeof value === 'number' && (Number.isFinite(value) || value === Number.NEGATIVE_INFINITY)) return value;
  if (value === null) return Number.NEGATIVE_INFINITY;
  throw FormatError.at(path, 'a log-probability (a finite number, -Infinity or null)', value);
}

/** Labels from the first score: 1 / 'C' / true → success; numeric values are also the reward (a non-finite one is dropped with a notice). */
function labelsOfScores(scores: unknown, path: string, drop: DropLabel): Labels {
  if (scores === undefined || scores === null) return {};
  const byName = requireObject(scores, path, 'an object {scorer name: {value, …}}');
  const first = Object.entries(byName)[0];
  if (!first) return {};
  const [name, score] = first;
  const value = requireObject(score, pathJoin(path, name), 'a score {value, answer, explanation}').value;
  if (typeof value === 'number') {
    const reward = readReward(value, pathJoin(pathJoin(path, name), 'value'), drop);
    return reward === undefined ? {} : { reward, success: reward >= 1 };
  }
  if (typeof value === 'boolean') return { success: value };
  if (typeof value === 'string') {
    // Inspect's letter grades: C correct, I incorrect, P partial, N no answer.
    if (value === 'C') return { success: true };
    if (value === 'I' || value === 'P' || value === 'N') return { success: false };
  }
  return {};
}

/**
 * One sample as a trajectory. `header` is the log's `{status, eval: {task, model}}` (for `.eval`
 * logs: header.json, or _journal/start.json while the log is still being written).
 */
export function readInspectSample(value: unknown, path: string, header: JsonObject, drop: DropLabel): Trajectory {
  const sample = requireObject(value, path, 'a sample {id, epoch, messages, output, scores}');
  const attachments = isObject(sample.attachments) ? sample.attachments : {};
  const sampleId = optionalId(sample.id, pathJoin(path, 'id'));
  if (sampleId === undefined) throw FormatError.at(pathJoin(path, 'id'), 'the sample id (a string or integer)', sample.id);
  const epoch = optionalNumber(sample.epoch, pathJoin(path, 'epoch'));
  const messagesPath = pathJoin(path, 'messages');
  const messages = requireMessageList(sample.messages, messagesPath, 'the sample’s message list (an array)').map((m, i) =>
    readMessage(m, pathJoin(messagesPath, i), attachments),
  );

  const outputPath = pathJoin(path, 'output');
  if (isObject(sample.output) && Array.isArray(sample.output.choices) && sample.output.choices.length > 0) {
    const choicePath = pathJoin(pathJoin(outputPath, 'choices'), 0);
    const choice = requireObject(sample.output.choices[0], choicePath, 'a choice {message, logprobs}');
    const outputMessage = readMessage(choice.message, pathJoin(choicePath, 'message'), attachments);
    // The output message is normally also the last assistant message of `messages`; find it there.
    let owner = -1;
    for (let i = messages.length - 1; i >= 0 && owner < 0; i--) {
      const m = messages[i];
      if (m.role !== 'assistant') continue;
      const sameId = m.sourceId !== undefined && m.sourceId === outputMessage.sourceId;
      const noIds = m.sourceId === undefined || outputMessage.sourceId === undefined;
      if (sameId || (noIds && m.content === outputMessage.content)) owner = i;
    }
    if (owner < 0) {
      messages.push(outputMessage);
      owner = messages.length - 1;
    }
    if (choice.logprobs !== undefined && choice.logprobs !== null) {
      messages[owner].logprobs = readLogprobs(choice.logprobs, pathJoin(choicePath, 'logprobs'));
    }
  }

  // `sourceId` only served the matching above; the normalised model has no such field.
  const normalised: Message[] = messages.map(({ sourceId: _sourceId, ...m }) => m);
  const scoresPath = pathJoin(path, 'scores');
  const evalSpec = isObject(header.eval) ? header.eval : {};
  return {
    id: epoch === undefined ? sampleId : `${sampleId}#${epoch}`,
    format: 'inspect-ai',
    taskId: sampleId,
    messages: normalised,
    actionSteps: assistantSteps(normalised),
    labels: labelsOfScores(sample.scores, scoresPath, drop),
    metadata: {
      task: evalSpec.task,
      model: evalSpec.model,
      status: header.status,
      ...omitKeys(sample, ['messages', 'output', 'events', 'attachments', 'input', 'store']),
    },
  };
}

function parse(value: unknown, ctx: ParseContext): Trajectory[] {
  const log = requireObject(value, '', 'an object {version, status, eval, samples}');
  if (log.samples === undefined) {
    const status = typeof log.status === 'string' ? `status "${log.status}"` : 'no status';
    throw new FormatError('samples', 'an array of samples (this log has none: header-only or written without samples)', `nothing (${status})`);
  }
  const samples = requireArray(log.samples, 'samples', 'an array of samples');
  return readEach(samples, 'samples', ctx, (item, path, index) => readInspectSample(item, path, log, labelDropper(ctx, index)));
}

export const inspectAiAdapter: FormatAdapter = {
  id: 'inspect-ai',
  name: 'Inspect AI eval log',
  signature: '{eval: {task, model}, samples: [{id, messages, scores}]}',
  detect: (value) => explain(value) === null,
  explain,
  parse,
};
