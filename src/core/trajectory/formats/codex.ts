/**
 * Codex CLI rollouts: `~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`, one session a file
 * (a session-shaped JSON Lines format: adapter.ts `SessionAdapter`). Each line is a `RolloutLine`
 * `{timestamp, type, payload}` as openai/codex writes it: `RolloutItem` (`codex-rs/protocol/src/
 * protocol.rs`, serde tag `type`, content `payload`) and `ResponseItem` (`codex-rs/protocol/src/
 * models.rs` @ 001cb8e2, tag `type`); our fixture is simonw/claude-code-transcripts @ fed5203a
 * `tests/sample_codex_session.jsonl`.
 *
 * - `session_meta` gives the session's id, cwd, CLI version and instructions (`metadata`);
 *   `turn_context` the model. Neither is a message. Rollouts of CLI versions before `session_meta`
 *   (mid-2025) are read too: a first line `{id, timestamp, instructions}`, then the response items
 *   bare, one a line, and `{record_type: "state"}` lines (skipped).
 * - `response_item` payloads are read: `message` (roles user, assistant, developer → system;
 *   `input_text` / `output_text` parts), `reasoning` (its `content` text where the model returns
 *   it, else its `summary` text, kept in the turn's text as `<think>…</think>`; `encrypted_content`
 *   is not read, only counted), `function_call` (`arguments` a JSON string), `custom_tool_call`
 *   (free-form `input`), `local_shell_call` (`action.command`), `web_search_call` (`action`), and
 *   the outputs `function_call_output` / `custom_tool_call_output`, each paired with its call by
 *   `call_id`: an output whose call the rollout does not hold is refused with its line.
 * - The agent's own items between two inputs (reasoning, assistant messages, calls) are one agent
 *   turn: one assistant message with its text and tool calls. These turns are the action steps.
 * - Skipped and counted in `metadata.skippedLines`: `event_msg` lines (the UI's copies of the same
 *   messages, token counts), `turn_context`, `compacted`, and response items that carry no words
 *   (`ghost_snapshot`, `compaction`, unknown types).
 */
import type { SessionAdapter, SessionContext, SessionReader, SessionTrajectory } from '../adapter';
import type { Message, ToolCall, Trajectory } from '../types';
import { assistantSteps, parseToolArguments, requireRole, textFromContent } from './messages';
import { describeValue, FormatError, isObject, optionalString, pathJoin, requireObject, requireString, type JsonObject } from './shape';

const LINE_TYPES = new Set(['session_meta', 'response_item', 'turn_context', 'event_msg', 'compacted']);

function isRolloutLine(value: unknown): value is JsonObject & { type: string; payload: JsonObject } {
  return isObject(value) && typeof value.type === 'string' && isObject(value.payload);
}

/** The response item types, which the older layout writes bare, one a line. */
const ITEM_TYPES = new Set(['message', 'reasoning', 'function_call', 'function_call_output', 'custom_tool_call', 'custom_tool_call_output', 'local_shell_call', 'web_search_call']);

/** The older layout's first line: the session's `{id, timestamp, instructions, git}`, no type. */
function isBareMeta(value: unknown): value is JsonObject {
  return isObject(value) && value.type === undefined && typeof value.id === 'string' && typeof value.timestamp === 'string';
}

function isBareLine(value: unknown): boolean {
  return isObject(value) && (typeof value.record_type === 'string' || (typeof value.type === 'string' && ITEM_TYPES.has(value.type) && value.payload === undefined));
}

function detectHead(head: readonly unknown[]): boolean {
  if (head.every(isRolloutLine)) return head.some((v) => isRolloutLine(v) && LINE_TYPES.has(v.type));
  // Rollouts before `session_meta` (CLI versions of mid-2025): a bare meta line, then bare items and `{record_type: "state"}`.
  return head.length > 1 && isBareMeta(head[0]) && head.slice(1).every(isBareLine);
}

class CodexReader implements SessionReader {
  private readonly messages: Message[] = [];
  /** The agent turn being written: reasoning, words and calls until the next input. */
  private turn: Message | null = null;
  private readonly calls = new Map<string, string>();
  private readonly skipped: Record<string, number> = {};
  private readonly facts: JsonObject = {};
  private firstLine: number | undefined;

  constructor(private readonly ctx: SessionContext) {}

  readLine(value: unknown, line: number): SessionTrajectory[] {
    if (!isObject(value)) throw FormatError.at('', 'a Codex rollout line (an object {timestamp, type, payload})', value);
    this.firstLine ??= line;
    // The older layout: its meta line, its state lines, its bare items.
    if (this.firstLine === line && isBareMeta(value)) {
      this.readMeta(value, '');
      return [];
    }
    if (typeof value.record_type === 'string') {
      this.count(`record_type ${value.record_type}`);
      return [];
    }
    const type = requireString(value.type, 'type', 'the line type (a string: session_meta, response_item, event_msg, turn_context, …)');
    if (value.payload === undefined && ITEM_TYPES.has(type)) this.readItem(value, line, '');
    else if (type === 'session_meta') this.readMeta(requireObject(value.payload, 'payload', 'the session metadata (an object)'), 'payload');
    else if (type === 'response_item') this.readItem(requireObject(value.payload, 'payload', 'the response item (an object {type, …})'), line, 'payload');
    else {
      if (type === 'turn_context' && isObject(value.payload) && typeof value.payload.model === 'string') this.facts.model ??= value.payload.model;
      this.count(type);
    }
    return [];
  }

  end(): SessionTrajectory[] {
    if (this.messages.length === 0 || this.firstLine === undefined) return [];
    const id = typeof this.facts.sessionId === 'string' ? this.facts.sessionId : baseName(this.ctx.fileName);
    const trajectory: Trajectory = {
      id,
      format: 'codex',
      messages: this.messages,
      actionSteps: assistantSteps(this.messages),
      labels: {},
      metadata: { ...this.facts, skippedLines: { ...this.skipped } },
    };
    return [{ trajectory, line: this.firstLine }];
  }

  private count(kind: string): void {
    this.skipped[kind] = (this.skipped[kind] ?? 0) + 1;
  }

  private readMeta(meta: JsonObject, base: string): void {
    const at = (key: string): string => pathJoin(base, key);
    const fields: [string, string][] = [
      ['id', 'sessionId'],
      ['cwd', 'cwd'],
      ['cli_version', 'cliVersion'],
      ['originator', 'originator'],
      ['model_provider', 'modelProvider'],
      ['instructions', 'instructions'],
    ];
    for (const [key, fact] of fields) {
      const text = optionalString(meta[key], at(key));
      if (text !== undefined && this.facts[fact] === undefined) this.facts[fact] = text;
    }
  }

  /** `base`: the item's path in its line (`payload`; '' in the older bare-item layout). */
  private readItem(item: JsonObject, line: number, base: string): void {
    const at = (key: string): string => pathJoin(base, key);
    const kind = requireString(item.type, at('type'), 'the item type (a string: message, function_call, …)');
    switch (kind) {
      case 'message': {
        const { role, sourceRole } = requireRole(item.role, at('role'));
        const content = textFromContent(item.content, at('content'));
        if (role === 'assistant') {
          const turn = this.agentTurn(line);
          turn.content = joinText(turn.content, content);
        } else this.push({ role, sourceRole, content }, line);
        return;
      }
      case 'reasoning':
        this.readReasoning(item, line, at);
        return;
      case 'function_call':
      case 'custom_tool_call': {
        const name = requireString(item.name, at('name'), 'the tool name (a string)');
        const callId = requireString(item.call_id, at('call_id'), 'the call id (a string)');
        const raw = kind === 'function_call' ? item.arguments : item.input;
        const call: ToolCall = { id: callId, name, ...parseToolArguments(raw, kind === 'function_call' ? at('arguments') : at('input')) };
        this.addCall(call, line);
        return;
      }
      case 'local_shell_call': {
        const callId = optionalString(item.call_id, at('call_id')) ?? optionalString(item.id, at('id'));
        const action = requireObject(item.action, at('action'), 'the shell action {type: exec, command} (an object)');
        const call: ToolCall = { name: 'local_shell', arguments: action };
        if (callId !== undefined) call.id = callId;
        this.addCall(call, line);
        return;
      }
      case 'web_search_call': {
        const action = item.action === undefined || item.action === null ? {} : requireObject(item.action, at('action'), 'the search action (an object)');
        const call: ToolCall = { name: 'web_search', arguments: action };
        const id = optionalString(item.id, at('id'));
        if (id !== undefined) call.id = id;
        this.addCall(call, line);
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const callId = requireString(item.call_id, at('call_id'), 'the call id (a string)');
        const toolName = this.calls.get(callId);
        if (toolName === undefined) throw new FormatError(at('call_id'), 'the call_id of a call earlier in the rollout', `${describeValue(callId)} (no call has it)`);
        this.push({ role: 'tool', sourceRole: kind, content: outputText(item.output, at('output')), toolCallId: callId, toolName }, line);
        return;
      }
      default:
        this.count(`response_item ${kind}`);
    }
  }

  private readReasoning(item: JsonObject, line: number, at: (key: string) => string): void {
    const parts = (key: 'content' | 'summary'): string[] => {
      const value = item[key];
      if (value === undefined || value === null) return [];
      if (!Array.isArray(value)) throw FormatError.at(at(key), 'an array of text parts {type, text}', value);
      return value.map((part, i) => {
        const path = pathJoin(at(key), i);
        return requireString(requireObject(part, path, 'a text part {type, text}').text, pathJoin(path, 'text'), 'the text (a string)');
      });
    };
    const content = parts('content');
    const texts = content.length > 0 ? content : parts('summary');
    if (texts.length === 0) {
      if (typeof item.encrypted_content === 'string') this.count('encrypted reasoning (not read)');
      return;
    }
    const turn = this.agentTurn(line);
    turn.content = joinText(turn.content, `<think>\n${texts.join('\n\n')}\n</think>`);
  }

  private addCall(call: ToolCall, line: number): void {
    if (call.id !== undefined) this.calls.set(call.id, call.name);
    const turn = this.agentTurn(line);
    (turn.toolCalls ??= []).push(call);
  }

  /** The open agent turn, or a new one. */
  private agentTurn(line: number): Message {
    if (this.turn) return this.turn;
    const turn: Message = { role: 'assistant', sourceRole: 'assistant', content: '' };
    this.push(turn, line);
    this.turn = turn;
    return turn;
  }

  private push(message: Message, line: number): void {
    this.turn = null;
    this.messages.push(message);
  }
}

function joinText(before: string, text: string): string {
  if (text === '') return before;
  return before === '' ? text : `${before}\n${text}`;
}

/** A call's output: a string, content items (`input_text`), or the older `{content, success}`. */
function outputText(output: unknown, path: string): string {
  if (isObject(output)) return textFromContent(output.content, pathJoin(path, 'content'));
  return textFromContent(output, path);
}

/** `rollout-2025-….jsonl` → `rollout-2025-…`. */
function baseName(fileName: string): string {
  const name = fileName.split(/[\\/]/).pop() ?? fileName;
  return name.replace(/\.(jsonl|ndjson|jsonlines|json)$/i, '');
}

export const codexAdapter: SessionAdapter = {
  id: 'codex',
  name: 'Codex CLI rollout',
  signature: 'JSON Lines {timestamp, type: session_meta|response_item|event_msg|turn_context, payload}',
  detectHead,
  open: (ctx) => new CodexReader(ctx),
};
