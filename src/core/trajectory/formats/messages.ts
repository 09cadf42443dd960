/** Message-level reading shared by the adapters: roles, content, tool calls, labels. */
import type { Labels, Message, Role, ToolCall } from '../types';
import {
  FormatError,
  isObject,
  optionalId,
  optionalString,
  pathJoin,
  requireObject,
  requireString,
  type JsonObject,
} from './shape';
import { findTooDeep, MAX_JSON_DEPTH, nestsDeeperThan, requireJsonTextDepth, tooDeepError } from '../json-depth';

/** Every role spelling the supported formats use, and the normalised role it stands for. */
const ROLE_ALIASES: Readonly<Record<string, Role>> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  human: 'user',
  assistant: 'assistant',
  gpt: 'assistant',
  ai: 'assistant',
  tool: 'tool',
  function: 'tool',
  observation: 'tool',
  ipython: 'tool',
};

export const KNOWN_ROLES = Object.keys(ROLE_ALIASES);

/** The normalised role of a source role string (case-insensitive), or undefined when it is not a known one. */
export function normaliseRole(sourceRole: string): Role | undefined {
  return ROLE_ALIASES[sourceRole.toLowerCase()];
}

export function requireRole(value: unknown, path: string): { role: Role; sourceRole: string } {
  const expected = `a role string (one of ${KNOWN_ROLES.join(', ')})`;
  const sourceRole = requireString(value, path, expected);
  const role = normaliseRole(sourceRole);
  if (!role) throw FormatError.at(path, expected, value);
  return { role, sourceRole };
}

/** Content part types whose `text` is message text (OpenAI chat, OpenAI responses, Inspect AI). */
const TEXT_PART_TYPES = new Set(['text', 'input_text', 'output_text']);

/**
 * A message's text from `content` as the formats write it: a string, null / missing (tool-call-only
 * messages), or an array of parts of which the text parts count (images and the like carry no text).
 * Text parts are joined with a newline, as vLLM's chat preprocessing does.
 */
export function textFromContent(content: unknown, path: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const texts: string[] = [];
    content.forEach((part, i) => {
      const partPath = pathJoin(path, i);
      if (typeof part === 'string') {
        texts.push(part);
        return;
      }
      const obj = requireObject(part, partPath, 'a content part object {type, text}');
      if (typeof obj.type === 'string' && TEXT_PART_TYPES.has(obj.type)) {
        texts.push(requireString(obj.text, pathJoin(partPath, 'text'), 'the text of a text part (a string)'));
      }
    });
    return texts.join('\n');
  }
  throw FormatError.at(path, 'a string, null or an array of content parts', content);
}

/**
 * Tool-call arguments (at `path`) as an object, keeping the source string when the source wrote one.
 * An argument string's JSON may nest as deeply as a file's (json-depth.ts), no deeper.
 */
export function parseToolArguments(raw: unknown, path: string): Pick<ToolCall, 'arguments' | 'rawArguments'> {
  if (raw === undefined || raw === null) return { arguments: {} };
  if (isObject(raw)) return { arguments: raw };
  if (typeof raw === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // Not JSON: models do emit broken argument strings; keep the text so nothing is lost.
      return { arguments: {}, rawArguments: raw };
    }
    // Checked whatever it holds: views parse a kept string again (ui/group/divergence.ts).
    requireJsonTextDepth(parsed, path);
    return isObject(parsed) ? { arguments: parsed, rawArguments: raw } : { arguments: {}, rawArguments: raw };
  }
  // Arrays, numbers: not an arguments object, but keep them visible (an array nesting past the
  // bound is part of a value the ingestion refuses as a whole: it is never stringified).
  if (nestsDeeperThan(raw, MAX_JSON_DEPTH)) throw tooDeepError(path, findTooDeep(raw)!);
  return { arguments: {}, rawArguments: JSON.stringify(raw) };
}

/**
 * One tool call in any of the shapes the formats use:
 * OpenAI `{id, type: 'function', function: {name, arguments: "<json>"}}`,
 * flat τ²-bench `{id, name, arguments: {…}, requestor}`,
 * Inspect AI `{id, function: "<name>", arguments: {…}}`.
 */
export function readToolCall(value: unknown, path: string): ToolCall {
  const call = requireObject(value, path, 'a tool call object');
  const id = optionalId(call.id, pathJoin(path, 'id'));
  let name: string;
  let rawArguments: unknown;
  let argumentsPath = pathJoin(path, 'arguments');
  if ('function' in call) {
    const fnPath = pathJoin(path, 'function');
    if (isObject(call.function)) {
      name = requireString(call.function.name, pathJoin(fnPath, 'name'), 'the function name (a string)');
      rawArguments = call.function.arguments;
      argumentsPath = pathJoin(fnPath, 'arguments');
    } else if (typeof call.function === 'string') {
      name = call.function;
      rawArguments = call.arguments;
    } else {
      throw FormatError.at(fnPath, 'a function {name, arguments} or a function name', call.function);
    }
  } else {
    name = requireString(call.name, pathJoin(path, 'name'), 'the tool name (a string), or a nested function {name, arguments}');
    rawArguments = call.arguments;
  }
  const toolCall: ToolCall = { name, ...parseToolArguments(rawArguments, argumentsPath) };
  if (id !== undefined) toolCall.id = id;
  const requestor = optionalString(call.requestor, pathJoin(path, 'requestor'));
  if (requestor !== undefined) toolCall.requestor = requestor;
  return toolCall;
}

export function readToolCalls(value: unknown, path: string): ToolCall[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw FormatError.at(path, 'an array of tool calls or null', value);
  if (value.length === 0) return undefined;
  return value.map((call, i) => readToolCall(call, pathJoin(path, i)));
}

/**
 * An OpenAI-style chat message (also τ-bench, OpenHands, SWE-agent history, Inspect AI):
 * `tool_calls`, the legacy `function_call`, `tool_call_id`, `name`.
 */
export function readChatMessage(value: unknown, path: string): Message {
  const raw = requireObject(value, path, 'a message object {role, content}');
  const { role, sourceRole } = requireRole(raw.role, pathJoin(path, 'role'));
  const message: Message = { role, sourceRole, content: textFromContent(raw.content, pathJoin(path, 'content')) };

  const toolCalls = readToolCalls(raw.tool_calls, pathJoin(path, 'tool_calls')) ?? [];
  if (isObject(raw.function_call)) {
    const fcPath = pathJoin(path, 'function_call');
    toolCalls.push({
      name: requireString(raw.function_call.name, pathJoin(fcPath, 'name'), 'the function name (a string)'),
      ...parseToolArguments(raw.function_call.arguments, pathJoin(fcPath, 'arguments')),
    });
  } else if (raw.function_call !== undefined && raw.function_call !== null) {
    throw FormatError.at(pathJoin(path, 'function_call'), 'an object {name, arguments} or null', raw.function_call);
  }
  if (toolCalls.length > 0) message.toolCalls = toolCalls;

  const toolCallId = optionalId(raw.tool_call_id, pathJoin(path, 'tool_call_id'));
  if (toolCallId !== undefined) message.toolCallId = toolCallId;
  const name = optionalString(raw.name, pathJoin(path, 'name'));
  // On tool results `name` is the function's name; elsewhere it names a participant.
  if (name !== undefined) {
    if (role === 'tool') message.toolName = name;
    else message.name = name;
  }
  return message;
}

/** Indices of the assistant messages: the action steps of single-agent formats. */
export function assistantSteps(messages: readonly Message[]): number[] {
  const steps: number[] = [];
  messages.forEach((m, i) => {
    if (m.role === 'assistant') steps.push(i);
  });
  return steps;
}

/** docs/architecture.md §1: success = reward ≥ 1. */
export function successFromReward(reward: number): boolean {
  return reward >= 1;
}

/** A boolean, or the integers 0 / 1 some datasets store booleans as (SWE-rebench `resolved`). */
export function booleanFlag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  return undefined;
}
