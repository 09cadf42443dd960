/**
 * OpenHands trajectories as the SWE-Gym / SWE-rebench datasets publish them: one record per run,
 * `{instance_id, messages: [OpenAI chat messages], tools: [...], resolved, …}` (SWE-Gym), or with
 * the list under `trajectory` and `resolved` as 0/1 (nebius SWE-rebench-openhands-trajectories).
 * The nebius SWE-agent-trajectories records (also in the Agent Data Protocol's raw data) have the
 * same outline: `{instance_id, model_name, target, trajectory: [{role: system|user|ai, text,
 * system_prompt, mask, cutoff_date}]}`; their messages carry `text` (the system message its
 * `system_prompt`) instead of `content`, and `target` (a boolean: the issue was resolved) is success.
 * One record, or an array of records; JSON Lines files are read one record per line.
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Labels, Message, Trajectory } from '../types';
import { labelDropper, readFlag, recordLabels, type DropLabel } from './labels';
import { assistantSteps, readChatMessage } from './messages';
import { defaultId, probeMessageList, readEach } from './records';
import { describeValue, FormatError, isObject, omitKeys, optionalId, pathJoin, requireObject, type JsonObject, requireMessageList } from './shape';

/** The record key holding the messages: SWE-Gym says `messages`, SWE-rebench says `trajectory`. */
function messagesKey(record: JsonObject): 'messages' | 'trajectory' | undefined {
  if (Array.isArray(record.messages)) return 'messages';
  if (Array.isArray(record.trajectory)) return 'trajectory';
  return undefined;
}

function explainRecord(value: unknown, path: string, score: number): Mismatch | null {
  if (!isObject(value)) return { score, path, expected: 'a record {instance_id, messages, tools, resolved}', found: describeValue(value) };
  if (!('instance_id' in value) && !('resolved' in value)) {
    return { score: score + 1, path: pathJoin(path, 'instance_id'), expected: 'an OpenHands run record (with instance_id or resolved)', found: describeValue(undefined) };
  }
  const key = messagesKey(value);
  if (!key) return { score: score + 2, path: pathJoin(path, 'messages'), expected: 'the message list `messages` (an array)', found: describeValue(value.messages) };
  return probeMessageList(value[key] as unknown[], pathJoin(path, key), score + 3);
}

function explain(value: unknown): Mismatch | null {
  if (Array.isArray(value)) {
    if (value.length === 0) return { score: 1, path: '', expected: 'a non-empty array of records', found: 'an empty array' };
    return explainRecord(value[0], '[0]', 1);
  }
  return explainRecord(value, '', 0);
}

/** A message of the list: OpenAI chat, or nebius SWE-agent's `{role, text, system_prompt}` (no `content`). */
function readRunMessage(value: unknown, path: string): Message {
  if (!isObject(value) || 'content' in value || !('text' in value || 'system_prompt' in value)) return readChatMessage(value, path);
  const { text, system_prompt: systemPrompt } = value;
  const key = typeof text === 'string' || typeof systemPrompt !== 'string' ? 'text' : 'system_prompt';
  const content = value[key];
  if (content !== null && content !== undefined && typeof content !== 'string') throw FormatError.at(pathJoin(path, key), 'the message text (a string or null)', content);
  return readChatMessage({ role: value.role, content: content ?? '' }, path);
}

/** The record's outcome label: `resolved`, `success`, `reward` as for chat records, or nebius SWE-agent's boolean `target`. */
function runLabels(record: JsonObject, path: string, messageCount: number, drop: DropLabel): Labels {
  const labels = recordLabels(record, path, messageCount, drop);
  const target = readFlag(record.target, pathJoin(path, 'target'), drop);
  if (target !== undefined && labels.success === undefined) labels.success = target;
  return labels;
}

function readRecord(value: unknown, path: string, index: number, ctx: ParseContext): Trajectory {
  const record = requireObject(value, path, 'a record {instance_id, messages, tools, resolved}');
  const key = messagesKey(record) ?? 'messages';
  const listPath = pathJoin(path, key);
  const list = requireMessageList(record[key], listPath, `the message list \`${key}\` (an array)`);
  const messages = list.map((m, i) => readRunMessage(m, pathJoin(listPath, i)));
  const instanceId = optionalId(record.instance_id, pathJoin(path, 'instance_id'));
  const runId = optionalId(record.trajectory_id, pathJoin(path, 'trajectory_id')) ?? optionalId(record.id, pathJoin(path, 'id'));
  const trajectory: Trajectory = {
    id: runId ?? instanceId ?? defaultId(ctx, index),
    format: 'openhands',
    messages,
    actionSteps: assistantSteps(messages),
    labels: runLabels(record, path, messages.length, labelDropper(ctx, path === '' ? undefined : index)),
    metadata: omitKeys(record, [key]),
  };
  if (instanceId !== undefined) trajectory.taskId = instanceId;
  return trajectory;
}

function parse(value: unknown, ctx: ParseContext): Trajectory[] {
  if (Array.isArray(value)) return readEach(value, '', ctx, (item, path, index) => readRecord(item, path, index, ctx));
  return [readRecord(value, '', 0, ctx)];
}

export const openHandsAdapter: FormatAdapter = {
  id: 'openhands',
  name: 'OpenHands / SWE-Gym trajectories',
  signature: '{instance_id, messages: [messages], resolved}',
  detect: (value) => explain(value) === null,
  explain,
  parse,
};
