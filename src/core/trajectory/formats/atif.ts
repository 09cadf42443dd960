/**
 * Harbor's Agent Trajectory Interchange Format (ATIF), read as RFC 0001-trajectory-format
 * (harbor-framework/harbor, docs/rfcs/0001-trajectory-format.md) specifies it at v1.4, with v1.6's
 * multimodal content parts (a message or a result may be an array of `{type: "text", text}` /
 * `{type: "image", …}` parts; the text parts are read):
 * `{schema_version: "ATIF-v1.x", session_id, agent: {name, version, model_name}, steps[], notes,
 * final_metrics, extra}`. A step is `{step_id, timestamp, source: system | user | agent, message,
 * reasoning_content, tool_calls[{tool_call_id, function_name, arguments}],
 * observation{results[{source_call_id, content, subagent_trajectory_ref}]}, metrics, extra}`.
 *
 * Each step is one message (system, user, assistant for `agent`; an agent's `reasoning_content`
 * comes first in its text as `<think>…</think>`, a newline before the message); its observation's results follow it as tool messages, answering the call named by `source_call_id`. The agent steps are the action
 * steps, except those marked `is_copied_context` (written by later versions: context a continuation
 * copied from the trajectory it continues, kept as messages, counted in the metadata, not scored
 * again here). `metrics.logprobs` (one per completion token, aligned with `completion_token_ids` when both
 * are given) are kept on the agent's message as precomputed figures, as Inspect AI's are.
 * The format has no outcome field: the reward is read from the root `extra.reward`, or from
 * `extra.verifier_result.rewards.reward` (the shape of Harbor's verifier result) when present.
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Labels, Message, TokenLogprob, ToolCall, Trajectory } from '../types';
import { successFromReward, textFromContent, parseToolArguments } from './messages';
import { labelDropper, readReward, type DropLabel } from './labels';
import {
  describeValue,
  FormatError,
  isObject,
  optionalId,
  optionalString,
  pathJoin,
  requireArray,
  requireObject,
  requireString,
  type JsonObject,
} from './shape';

const SCHEMA_VERSION = /^ATIF-v\d/;
const SOURCES = ['system', 'user', 'agent'] as const;
type StepSource = (typeof SOURCES)[number];
const SOURCE_ROLES: Record<StepSource, Message['role']> = { system: 'system', user: 'user', agent: 'assistant' };

function explain(value: unknown): Mismatch | null {
  if (!isObject(value)) return { score: 0, path: '', expected: 'an object {schema_version: "ATIF-v1.x", session_id, agent, steps}', found: describeValue(value) };
  if (typeof value.schema_version !== 'string' || !SCHEMA_VERSION.test(value.schema_version)) {
    return { score: 1, path: 'schema_version', expected: 'an ATIF version string ("ATIF-v1.4", …)', found: describeValue(value.schema_version) };
  }
  if (!Array.isArray(value.steps)) return { score: 2, path: 'steps', expected: 'the trajectory’s steps (an array)', found: describeValue(value.steps) };
  return null;
}

/** Text of a step message or an observation result: a string, or (ATIF-v1.6) content parts. */
function readContent(value: unknown, path: string, expected: string): string {
  if (typeof value !== 'string' && !Array.isArray(value)) throw FormatError.at(path, expected, value);
  return textFromContent(value, path);
}

function readToolCall(value: unknown, path: string): ToolCall {
  const call = requireObject(value, path, 'a tool call {tool_call_id, function_name, arguments}');
  const id = requireString(call.tool_call_id, pathJoin(path, 'tool_call_id'), 'the tool call’s id (a string)');
  const name = requireString(call.function_name, pathJoin(path, 'function_name'), 'the function’s name (a string)');
  return { id, name, ...parseToolArguments(call.arguments, pathJoin(path, 'arguments')) };
}

/** A log-probability: a finite number or -Infinity (probability 0; strict JSON writers write it null). */
function readLogprob(value: unknown, path: string): number {
  if (typeof value === 'number' && (Number.isFinite(value) || value === Number.NEGATIVE_INFINITY)) return value;
  if (value === null) return Number.NEGATIVE_INFINITY;
  throw FormatError.at(path, 'a log-probability (a finite number, -Infinity or null)', value);
}

/** `metrics.logprobs`, with `completion_token_ids` as their token ids when the step gives both. */
function readLogprobs(metrics: JsonObject, path: string): TokenLogprob[] | undefined {
  if (metrics.logprobs === undefined || metrics.logprobs === null) return undefined;
  const logprobsPath = pathJoin(path, 'logprobs');
  const values = requireArray(metrics.logprobs, logprobsPath, 'the completion tokens’ log-probabilities (an array of numbers)');
  const entries: TokenLogprob[] = values.map((v, i) => ({ logprob: readLogprob(v, pathJoin(logprobsPath, i)) }));
  if (metrics.completion_token_ids === undefined || metrics.completion_token_ids === null) return entries;
  const idsPath = pathJoin(path, 'completion_token_ids');
  const ids = requireArray(metrics.completion_token_ids, idsPath, 'the completion token ids (an array of integers)');
  if (ids.length !== entries.length) {
    throw new FormatError(idsPath, `one token id per log-prob (${entries.length}, as metrics.logprobs has)`, `an array of ${ids.length}`);
  }
  ids.forEach((id, i) => {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw FormatError.at(pathJoin(idsPath, i), 'a token id (an integer ≥ 0)', id);
    entries[i].tokenId = id;
  });
  return entries;
}

interface StepReading {
  messages: Message[];
  /** Delegated subagent trajectories the step's results refer to (kept in the trajectory's metadata). */
  subagents: JsonObject[];
}

function readObservation(value: unknown, path: string, calls: readonly ToolCall[], stepId: number): StepReading {
  const observation = requireObject(value, path, 'an observation {results: […]}');
  const resultsPath = pathJoin(path, 'results');
  const results = requireArray(observation.results, resultsPath, 'the observation’s results (an array)');
  const reading: StepReading = { messages: [], subagents: [] };
  results.forEach((item, i) => {
    const resultPath = pathJoin(resultsPath, i);
    const result = requireObject(item, resultPath, 'a result {source_call_id, content}');
    const message: Message = { role: 'tool', sourceRole: 'observation', content: '' };
    if (result.content !== undefined && result.content !== null) {
      message.content = readContent(result.content, pathJoin(resultPath, 'content'), 'the result’s content (a string, an array of content parts, or null)');
    }
    const callId = optionalString(result.source_call_id, pathJoin(resultPath, 'source_call_id'));
    if (callId !== undefined) {
      const call = calls.find((c) => c.id === callId);
      if (!call && calls.length > 0) {
        const ids = calls.map((c) => JSON.stringify(c.id)).join(', ');
        throw FormatError.at(pathJoin(resultPath, 'source_call_id'), `the tool_call_id of one of this step’s tool calls (${ids}) or null`, callId);
      }
      message.toolCallId = callId;
      if (call) message.toolName = call.name;
    }
    const refs = result.subagent_trajectory_ref;
    if (refs !== undefined && refs !== null) {
      const refsPath = pathJoin(resultPath, 'subagent_trajectory_ref');
      requireArray(refs, refsPath, 'an array of subagent trajectory references').forEach((ref, k) => {
        const refObject = requireObject(ref, pathJoin(refsPath, k), 'a subagent trajectory reference {session_id, trajectory_path}');
        requireString(refObject.session_id, pathJoin(pathJoin(refsPath, k), 'session_id'), 'the subagent’s session id (a string)');
        reading.subagents.push({ step_id: stepId, ...refObject });
      });
    }
    reading.messages.push(message);
  });
  return reading;
}

function readStep(value: unknown, path: string): StepReading & { source: StepSource; copied: boolean } {
  const step = requireObject(value, path, 'a step {step_id, source, message}');
  const stepId = step.step_id;
  if (typeof stepId !== 'number' || !Number.isSafeInteger(stepId)) throw FormatError.at(pathJoin(path, 'step_id'), 'the step’s ordinal (an integer)', stepId);
  const sourcePath = pathJoin(path, 'source');
  const source = requireString(step.source, sourcePath, `the step’s source (one of ${SOURCES.join(', ')})`);
  if (!(SOURCES as readonly string[]).includes(source)) throw FormatError.at(sourcePath, `the step’s source (one of ${SOURCES.join(', ')})`, source);
  const stepSource = source as StepSource;
  const text = readContent(step.message, pathJoin(path, 'message'), 'the step’s message (a string, or an array of content parts)');
  // Reasoning is text the agent generated before its reply: kept first, as `<think>…</think>` (the
  // convention of reasoning models' templates, as the Claude Code and Codex adapters keep theirs).
  const reasoning = optionalString(step.reasoning_content, pathJoin(path, 'reasoning_content'));
  const thought = reasoning ? `<think>\n${reasoning}\n</think>` : '';
  const message: Message = {
    role: SOURCE_ROLES[stepSource],
    sourceRole: source,
    content: thought === '' ? text : text === '' ? thought : `${thought}\n${text}`,
  };

  let calls: ToolCall[] = [];
  if (step.tool_calls !== undefined && step.tool_calls !== null) {
    const callsPath = pathJoin(path, 'tool_calls');
    calls = requireArray(step.tool_calls, callsPath, 'an array of tool calls').map((call, i) => readToolCall(call, pathJoin(callsPath, i)));
    if (calls.length > 0) message.toolCalls = calls;
  }
  if (step.metrics !== undefined && step.metrics !== null) {
    const metricsPath = pathJoin(path, 'metrics');
    const logprobs = readLogprobs(requireObject(step.metrics, metricsPath, 'the step’s metrics (an object)'), metricsPath);
    if (logprobs && logprobs.length > 0) message.logprobs = logprobs;
  }
  const reading: StepReading = { messages: [message], subagents: [] };
  if (step.observation !== undefined && step.observation !== null) {
    const observed = readObservation(step.observation, pathJoin(path, 'observation'), calls, stepId);
    for (const result of observed.messages) reading.messages.push(result);
    reading.subagents = observed.subagents;
  }
  // Later versions mark the steps a continuation copied from the trajectory it continues.
  return { ...reading, source: stepSource, copied: step.is_copied_context === true };
}

/** The reward the root `extra` carries, as `reward` or as Harbor's `verifier_result.rewards.reward`. */
function readLabels(extra: unknown, drop: DropLabel): Labels {
  if (!isObject(extra)) return {};
  let reward: number | undefined;
  if (extra.reward !== undefined) {
    reward = readReward(extra.reward, 'extra.reward', drop);
  } else if (isObject(extra.verifier_result) && isObject(extra.verifier_result.rewards)) {
    reward = readReward(extra.verifier_result.rewards.reward, 'extra.verifier_result.rewards.reward', drop);
  }
  return reward === undefined ? {} : { reward, success: successFromReward(reward) };
}

function parse(value: unknown, ctx: ParseContext): Trajectory[] {
  const root = requireObject(value, '', 'an object {schema_version, session_id, agent, steps}');
  const sessionId = requireString(root.session_id, 'session_id', 'the run’s session id (a string)');
  const agent = requireObject(root.agent, 'agent', 'the agent {name, version, model_name}');
  requireString(agent.name, 'agent.name', 'the agent’s name (a string)');
  const steps = requireArray(root.steps, 'steps', 'the trajectory’s steps (an array)');
  if (steps.length === 0) throw new FormatError('steps', 'the trajectory’s steps (an array with at least one step)', 'an empty array');

  const messages: Message[] = [];
  const actionSteps: number[] = [];
  const subagents: JsonObject[] = [];
  let copied = 0;
  steps.forEach((item, i) => {
    const step = readStep(item, pathJoin('steps', i));
    if (step.copied) copied += 1;
    else if (step.source === 'agent') actionSteps.push(messages.length);
    for (const message of step.messages) messages.push(message);
    for (const ref of step.subagents) subagents.push(ref);
  });

  const extra = isObject(root.extra) ? root.extra : undefined;
  const taskId = extra ? (optionalId(extra.task_id, 'extra.task_id') ?? optionalId(extra.task_name, 'extra.task_name')) : undefined;
  const metadata: JsonObject = { schemaVersion: root.schema_version, sessionId, agent };
  if (typeof agent.model_name === 'string') metadata.model = agent.model_name;
  if (root.notes !== undefined) metadata.notes = root.notes;
  if (root.final_metrics !== undefined) metadata.finalMetrics = root.final_metrics;
  if (extra) metadata.extra = extra;
  if (subagents.length > 0) metadata.subagentTrajectories = subagents;
  if (copied > 0) metadata.copiedContextSteps = copied;
  if (root.continued_trajectory_ref !== undefined) metadata.continuedTrajectory = root.continued_trajectory_ref;
  const trajectory: Trajectory = {
    id: sessionId,
    format: 'atif',
    messages,
    actionSteps,
    labels: readLabels(extra, labelDropper(ctx)),
    metadata,
  };
  if (taskId !== undefined) trajectory.taskId = taskId;
  return [trajectory];
}

export const atifAdapter: FormatAdapter = {
  id: 'atif',
  name: 'ATIF trajectory',
  signature: '{schema_version: "ATIF-v1.x", session_id, agent, steps: [{step_id, source, message}]}',
  detect: (value) => explain(value) === null,
  explain,
  parse,
};
