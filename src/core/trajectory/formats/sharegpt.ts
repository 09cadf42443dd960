/**
 * ShareGPT / AgentInstruct records: `{id?, system?, tools?, conversations: [{from, value}]}` (or
 * `{role, content}` items). Speakers: `human` / `user`, `gpt` / `ai` / `assistant`, `system`,
 * and in LLaMA-Factory's tool convention `function_call` (an assistant turn whose value is a JSON
 * `{name, arguments}` or a list of them) and `observation` (the tool result). One record, or an
 * array of records.
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Message, Role, ToolCall, Trajectory } from '../types';
import { labelDropper, recordLabels } from './labels';
import { assistantSteps, normaliseRole, parseToolArguments, textFromContent } from './messages';
import { requireJsonTextDepth } from '../json-depth';
import { defaultId, readEach } from './records';
import {
  describeValue,
  FormatError,
  isObject,
  omitKeys,
  optionalId,
  optionalString,
  pathJoin,
  requireObject,
  requireString,
  requireMessageList,
} from './shape';

/** Speakers only ShareGPT-style datasets use, beyond the common aliases. */
const SHAREGPT_ROLES: Readonly<Record<string, Role>> = {
  function_call: 'assistant',
  tool_call: 'assistant',
  tool_response: 'tool',
  chatgpt: 'assistant',
};

const ROLE_LIST = 'human, user, gpt, ai, assistant, system, function_call, observation, function, tool';

function speakerRole(speaker: string): Role | undefined {
  return SHAREGPT_ROLES[speaker.toLowerCase()] ?? normaliseRole(speaker);
}

function explainRecord(value: unknown, path: string, score: number): Mismatch | null {
  if (!isObject(value)) return { score, path, expected: 'a record {conversations: [{from, value}, …]}', found: describeValue(value) };
  const listPath = pathJoin(path, 'conversations');
  if (!Array.isArray(value.conversations)) return { score: score + 1, path: listPath, expected: 'the turn list `conversations` (an array)', found: describeValue(value.conversations) };
  const first = value.conversations[0];
  if (first === undefined) return null;
  const firstPath = pathJoin(listPath, 0);
  if (!isObject(first)) return { score: score + 2, path: firstPath, expected: 'a turn {from, value} or {role, content}', found: describeValue(first) };
  const speakerKey = 'from' in first ? 'from' : 'role';
  const speaker = first[speakerKey];
  if (typeof speaker !== 'string' || speakerRole(speaker) === undefined) {
    return { score: score + 3, path: pathJoin(firstPath, speakerKey), expected: `a speaker (one of ${ROLE_LIST})`, found: describeValue(speaker) };
  }
  return null;
}

function explain(value: unknown): Mismatch | null {
  if (Array.isArray(value)) {
    if (value.length === 0) return { score: 1, path: '', expected: 'a non-empty array of records', found: 'an empty array' };
    return explainRecord(value[0], '[0]', 1);
  }
  return explainRecord(value, '', 0);
}

/** A `function_call` turn's value (at `path`): `{name, arguments}` or a list of them; anything else stays text. */
function toolCallsOfValue(text: string, path: string): ToolCall[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0 || !items.every((c) => isObject(c) && typeof c.name === 'string')) return undefined;
  requireJsonTextDepth(parsed, path);
  return items.map((c, i) => {
    const call = c as { name: string; arguments?: unknown };
    return { name: call.name, ...parseToolArguments(call.arguments, `${path}, inside the string at ${Array.isArray(parsed) ? `[${i}].` : ''}arguments`) };
  });
}

function readTurn(value: unknown, path: string): Message {
  const turn = requireObject(value, path, 'a turn {from, value} or {role, content}');
  const usesFrom = 'from' in turn;
  const speakerKey = usesFrom ? 'from' : 'role';
  const speakerPath = pathJoin(path, speakerKey);
  const sourceRole = requireString(turn[speakerKey], speakerPath, `a speaker (one of ${ROLE_LIST})`);
  const role = speakerRole(sourceRole);
  if (!role) throw FormatError.at(speakerPath, `a speaker (one of ${ROLE_LIST})`, sourceRole);
  const contentKey = usesFrom ? 'value' : 'content';
  const content = textFromContent(turn[contentKey], pathJoin(path, contentKey));
  const kind = sourceRole.toLowerCase();
  if (kind === 'function_call' || kind === 'tool_call') {
    const toolCalls = toolCallsOfValue(content, pathJoin(path, contentKey));
    if (toolCalls) return { role, sourceRole, content: '', toolCalls };
  }
  return { role, sourceRole, content };
}

function readRecord(value: unknown, path: string, index: number, ctx: ParseContext): Trajectory {
  const record = requireObject(value, path, 'a record {conversations: [{from, value}, …]}');
  const listPath = pathJoin(path, 'conversations');
  const turns = requireMessageList(record.conversations, listPath, 'the turn list `conversations` (an array)');
  const messages: Message[] = [];
  const system = optionalString(record.system, pathJoin(path, 'system'));
  if (system !== undefined && system !== '') messages.push({ role: 'system', sourceRole: 'system', content: system });
  turns.forEach((turn, i) => messages.push(readTurn(turn, pathJoin(listPath, i))));
  return {
    id: optionalId(record.id, pathJoin(path, 'id')) ?? defaultId(ctx, index),
    format: 'sharegpt',
    messages,
    actionSteps: assistantSteps(messages),
    labels: recordLabels(record, path, messages.length, labelDropper(ctx, path === '' ? undefined : index)),
    metadata: omitKeys(record, ['conversations', 'system']),
  };
}

function parse(value: unknown, ctx: ParseContext): Trajectory[] {
  if (Array.isArray(value)) return readEach(value, '', ctx, (item, path, index) => readRecord(item, path, index, ctx));
  return [readRecord(value, '', 0, ctx)];
}

export const shareGptAdapter: FormatAdapter = {
  id: 'sharegpt',
  name: 'ShareGPT / AgentInstruct conversations',
  signature: '{conversations: [{from, value}]}',
  detect: (value) => explain(value) === null,
  explain,
  parse,
};
