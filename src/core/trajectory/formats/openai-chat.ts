/**
 * OpenAI chat messages: a JSON array of messages, a record `{messages: […], …}`, or an array of
 * such records (JSON Lines of either is handled by the caller, one line at a time).
 * Tool calls are nested `{id, type: 'function', function: {name, arguments: "<json string>"}}`;
 * the legacy `function_call` and role `function` are read too.
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Trajectory } from '../types';
import { labelDropper, recordLabels, type DropLabel } from './labels';
import { assistantSteps, readChatMessage } from './messages';
import { defaultId, probeMessageList, readEach } from './records';
import { describeValue, isObject, omitKeys, optionalId, pathJoin, requireObject, type JsonObject, requireMessageList } from './shape';

function explain(value: unknown): Mismatch | null {
  if (Array.isArray(value)) {
    if (value.length === 0) return { score: 1, path: '', expected: 'a non-empty array of messages or records', found: 'an empty array' };
    const first = value[0];
    if (isObject(first) && 'role' in first) return probeMessageList(value, '', 2);
    if (isObject(first) && Array.isArray(first.messages)) return probeMessageList(first.messages, '[0].messages', 3);
    return { score: 1, path: '[0]', expected: 'a chat message {role, content} or a record {messages: […]}', found: describeValue(first) };
  }
  if (isObject(value)) {
    if (!Array.isArray(value.messages)) return { score: 1, path: 'messages', expected: 'an array of chat messages', found: describeValue(value.messages) };
    return probeMessageList(value.messages, 'messages', 2);
  }
  return { score: 0, path: '', expected: 'an array of chat messages or an object with "messages"', found: describeValue(value) };
}

function fromMessages(list: readonly unknown[], path: string, id: string, record: { value: JsonObject; path: string; drop: DropLabel } | undefined): Trajectory {
  const messages = list.map((m, i) => readChatMessage(m, pathJoin(path, i)));
  const trajectory: Trajectory = {
    id,
    format: 'openai-chat',
    messages,
    actionSteps: assistantSteps(messages),
    labels: record ? recordLabels(record.value, record.path, messages.length, record.drop) : {},
    metadata: record ? omitKeys(record.value, ['messages']) : {},
  };
  const taskId = record ? (optionalId(record.value.task_id, 'task_id') ?? optionalId(record.value.taskId, 'taskId')) : undefined;
  if (taskId !== undefined) trajectory.taskId = taskId;
  return trajectory;
}

function readRecord(value: unknown, path: string, index: number, ctx: ParseContext): Trajectory {
  const record = requireObject(value, path, 'a record {messages: […]}');
  const messagesPath = pathJoin(path, 'messages');
  const list = requireMessageList(record.messages, messagesPath, 'an array of chat messages');
  const id = optionalId(record.id, pathJoin(path, 'id')) ?? defaultId(ctx, index);
  return fromMessages(list, messagesPath, id, { value: record, path, drop: labelDropper(ctx, path === '' ? undefined : index) });
}

function parse(value: unknown, ctx: ParseContext): Trajectory[] {
  if (Array.isArray(value)) {
    const first = value[0];
    // A bare message list is one conversation; an array of records is many.
    if (isObject(first) && 'role' in first) return [fromMessages(value, '', defaultId(ctx, 0), undefined)];
    return readEach(value, '', ctx, (item, path, index) => readRecord(item, path, index, ctx));
  }
  return [readRecord(value, '', 0, ctx)];
}

export const openAiChatAdapter: FormatAdapter = {
  id: 'openai-chat',
  name: 'OpenAI chat messages',
  signature: '[{role, content}] or {messages: [{role, content}]}',
  detect: (value) => explain(value) === null,
  explain,
  parse,
};
