/**
 * Claude Code sessions: `~/.claude/projects/<project>/<session id>.jsonl`, one JSON object a line,
 * one session a file (a session-shaped JSON Lines format: adapter.ts `SessionAdapter`). Anthropic
 * publishes no schema; this follows the files as Claude Code writes them and the readers that
 * document them: simonw/claude-code-transcripts @ fed5203a (`src/claude_code_transcripts/__init__.py`,
 * its `tests/sample_session.jsonl` is our fixture) and ticpu/claude-conversation-search-mcp
 * `docs/jsonl-format.md` (line types, sidechain files).
 *
 * Lines: `{type, uuid, parentUuid, isSidechain, sessionId, message: {role, content, id, model}}`.
 * - `user` / `assistant` lines are messages; `content` is a string or blocks: `text`, `thinking`
 *   (kept in the turn's text as `<think>…</think>`, the convention of reasoning models' templates),
 *   `redacted_thinking` (encrypted: not read, counted), `tool_use` (a tool call; `server_tool_use`
 *   too), `tool_result` (in user lines: each is a tool message, not a user turn; one whose tool_use
 *   the file lacks, as after a session continued from another file, is kept without a tool name),
 *   `image` (no text).
 * - Streaming writes one assistant message over several lines with the same `message.id`: they are
 *   merged into one turn. The agent's own turns (assistant messages) are the action steps.
 * - Order is the `parentUuid` chain that ends at the session's last message: lines on branches the
 *   user abandoned (a rewind, an edited prompt) are left out and counted; where the chain restarts
 *   (after a compaction) it continues from the message before. A file without `parentUuid` is read
 *   in file order.
 * - Sidechains (`isSidechain: true`, a sub-agent's conversation) are their own trajectories,
 *   `<session>/agent-<agentId>` (or `<session>/sidechain-<n>`), marked `metadata.sidechain`.
 * - Skipped and counted in `metadata.skippedLines`: `summary` (titles, kept in `metadata.summaries`),
 *   `system` (Claude Code's own notices), user lines with `isMeta: true` (text the tool inserts),
 *   assistant lines of model `<synthetic>` (Claude Code's stand-in replies: API errors),
 *   `file-history-snapshot`, `queue-operation`, `progress` and any other line type.
 */
import type { SessionAdapter, SessionContext, SessionReader, SessionTrajectory } from '../adapter';
import type { Message, ToolCall, Trajectory } from '../types';
import { assistantSteps, textFromContent } from './messages';
import { FormatError, isObject, optionalString, pathJoin, requireObject, requireString, type JsonObject } from './shape';

/** A line of this format by itself: a message, a summary, a system line or a file snapshot. */
function isClaudeCodeLine(value: unknown): boolean {
  if (!isObject(value) || typeof value.type !== 'string') return false;
  const identified = typeof value.uuid === 'string' && typeof value.sessionId === 'string';
  switch (value.type) {
    case 'user':
    case 'assistant':
      return identified && isObject(value.message);
    case 'system':
      return identified;
    case 'summary':
      return typeof value.summary === 'string' && typeof value.leafUuid === 'string';
    case 'file-history-snapshot':
      return typeof value.messageId === 'string' && isObject(value.snapshot);
    default:
      return false;
  }
}

function detectHead(head: readonly unknown[]): boolean {
  return head.every((v) => isObject(v) && typeof v.type === 'string') && head.some(isClaudeCodeLine);
}

/** One user or assistant line, read. */
interface Entry {
  line: number;
  uuid?: string;
  sidechain: boolean;
  agentId?: string;
  /** Assistant lines: the API message id that streaming splits over several lines. */
  messageId?: string;
  messages: Message[];
}

/** A line's place in the `parentUuid` chain. */
interface ChainLink {
  parent?: string;
  /** Set on the line that starts a chain afresh after a compaction: the line before it. */
  logicalParent?: string;
  line: number;
}

const TEXT_JOIN = '\n';
/** `message.model` of the assistant lines Claude Code writes itself (API errors, "No response requested."). */
const SYNTHETIC_MODEL = '<synthetic>';

/** The blocks of one assistant line as one assistant message (text, thinking, tool calls). */
function readAssistant(content: unknown, path: string, count: (kind: string) => void): Message {
  if (typeof content === 'string') return { role: 'assistant', sourceRole: 'assistant', content };
  const blocks = requireBlocks(content, path);
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  blocks.forEach((raw, i) => {
    const blockPath = pathJoin(path, i);
    const block = requireBlock(raw, blockPath);
    if (block.type === 'text') texts.push(requireString(block.text, pathJoin(blockPath, 'text'), 'the text of a text block (a string)'));
    else if (block.type === 'thinking') texts.push(`<think>\n${requireString(block.thinking, pathJoin(blockPath, 'thinking'), 'the thinking text (a string)')}\n</think>`);
    else if (block.type === 'tool_use' || block.type === 'server_tool_use') toolCalls.push(readToolUse(block, blockPath));
    else count(`${block.type} blocks`);
  });
  const message: Message = { role: 'assistant', sourceRole: 'assistant', content: texts.join(TEXT_JOIN) };
  if (toolCalls.length > 0) message.toolCalls = toolCalls;
  return message;
}

function readToolUse(block: JsonObject, path: string): ToolCall {
  const id = requireString(block.id, pathJoin(path, 'id'), 'the tool use id (a string)');
  const name = requireString(block.name, pathJoin(path, 'name'), 'the tool name (a string)');
  const input = block.input ?? {};
  if (!isObject(input)) throw FormatError.at(pathJoin(path, 'input'), "the tool's input (an object)", block.input);
  return { id, name, arguments: input };
}

/** One user line: its tool results as tool messages, then its own words (if any) as a user message. */
function readUser(content: unknown, path: string, toolNames: ReadonlyMap<string, string>, count: (kind: string) => void): Message[] {
  if (typeof content === 'string') return [{ role: 'user', sourceRole: 'user', content }];
  const blocks = requireBlocks(content, path);
  const messages: Message[] = [];
  const texts: string[] = [];
  let ownBlocks = 0;
  blocks.forEach((raw, i) => {
    const blockPath = pathJoin(path, i);
    const block = requireBlock(raw, blockPath);
    if (block.type === 'tool_result') {
      const callId = requireString(block.tool_use_id, pathJoin(blockPath, 'tool_use_id'), 'the id of the tool use it answers (a string)');
      const message: Message = { role: 'tool', sourceRole: 'tool_result', content: textFromContent(block.content, pathJoin(blockPath, 'content')), toolCallId: callId };
      const toolName = toolNames.get(callId);
      if (toolName !== undefined) message.toolName = toolName;
      messages.push(message);
      return;
    }
    ownBlocks += 1;
    if (block.type === 'text') texts.push(requireString(block.text, pathJoin(blockPath, 'text'), 'the text of a text block (a string)'));
    else if (block.type !== 'image') count(`${block.type} blocks`);
  });
  if (ownBlocks > 0) messages.push({ role: 'user', sourceRole: 'user', content: texts.join(TEXT_JOIN) });
  return messages;
}

function requireBlocks(content: unknown, path: string): unknown[] {
  if (!Array.isArray(content)) throw FormatError.at(path, 'a string or an array of content blocks', content);
  return content;
}

function requireBlock(value: unknown, path: string): JsonObject & { type: string } {
  const block = requireObject(value, path, 'a content block {type, …}');
  requireString(block.type, pathJoin(path, 'type'), 'the block type (a string)');
  return block as JsonObject & { type: string };
}

/** Appends a streamed continuation of the same assistant message (same `message.id`). */
function mergeInto(target: Message, part: Message): void {
  if (part.content !== '') {
    target.content = target.content === '' ? part.content : `${target.content}${TEXT_JOIN}${part.content}`;
  }
  for (const call of part.toolCalls ?? []) {
    const calls = (target.toolCalls ??= []);
    if (!calls.some((c) => c.id === call.id)) calls.push(call);
  }
}

class ClaudeCodeReader implements SessionReader {
  private readonly entries: Entry[] = [];
  /** Every line's parent links, by uuid (skipped lines too: the chain passes through them). */
  private readonly parents = new Map<string, ChainLink>();
  private readonly toolNames = new Map<string, string>();
  private readonly skipped: Record<string, number> = {};
  private readonly summaries: string[] = [];
  private readonly facts: JsonObject = {};
  private chained = false;

  constructor(private readonly ctx: SessionContext) {}

  readLine(value: unknown, line: number): SessionTrajectory[] {
    if (!isObject(value)) throw FormatError.at('', 'a Claude Code session line (an object {type, uuid, message, …})', value);
    const type = requireString(value.type, 'type', 'the line type (a string: user, assistant, summary, system, …)');
    const count = (kind: string) => (this.skipped[kind] = (this.skipped[kind] ?? 0) + 1);
    const uuid = optionalString(value.uuid, 'uuid');
    const parent = optionalString(value.parentUuid, 'parentUuid');
    if (uuid !== undefined && !this.parents.has(uuid)) {
      this.parents.set(uuid, { parent, logicalParent: typeof value.logicalParentUuid === 'string' ? value.logicalParentUuid : undefined, line });
    }
    if (type === 'summary') {
      if (typeof value.summary === 'string') this.summaries.push(value.summary);
      count('summary');
      return [];
    }
    if ((type !== 'user' && type !== 'assistant') || value.isMeta === true) {
      count(value.isMeta === true ? 'meta' : type);
      return [];
    }
    const message = requireObject(value.message, 'message', 'the message {role, content} (an object)');
    // Claude Code's own stand-ins for a reply (an API error, an interruption) were not written by the model.
    if (type === 'assistant' && message.model === SYNTHETIC_MODEL) {
      count('synthetic');
      return [];
    }
    const sidechain = value.isSidechain ?? false;
    if (typeof sidechain !== 'boolean') throw FormatError.at('isSidechain', 'true, false or nothing', value.isSidechain);
    if ('parentUuid' in value) this.chained = true;
    const entry: Entry = { line, sidechain, messages: [] };
    if (uuid !== undefined) entry.uuid = uuid;
    const agentId = optionalString(value.agentId, 'agentId');
    if (agentId !== undefined) entry.agentId = agentId;
    const contentPath = 'message.content';
    if (type === 'assistant') {
      const messageId = optionalString(message.id, 'message.id');
      if (messageId !== undefined) entry.messageId = messageId;
      const turn = readAssistant(message.content, contentPath, count);
      for (const call of turn.toolCalls ?? []) if (call.id !== undefined) this.toolNames.set(call.id, call.name);
      entry.messages.push(turn);
      if (typeof message.model === 'string') this.facts.model ??= message.model;
    } else {
      entry.messages = readUser(message.content, contentPath, this.toolNames, count);
    }
    for (const key of ['sessionId', 'cwd', 'gitBranch', 'version'] as const) {
      if (typeof value[key] === 'string' && this.facts[key] === undefined) this.facts[key] = value[key];
    }
    this.entries.push(entry);
    return [];
  }

  end(): SessionTrajectory[] {
    const sessionId = typeof this.facts.sessionId === 'string' ? this.facts.sessionId : baseName(this.ctx.fileName);
    const main = this.entries.filter((e) => !e.sidechain);
    const sidechains = groupSidechains(
      this.entries.filter((e) => e.sidechain),
      this.parents,
    );
    const out: SessionTrajectory[] = [];
    if (main.length > 0) out.push(this.trajectory(sessionId, main, {}));
    sidechains.forEach((group, k) => {
      const agentId = group[0].agentId;
      const id = agentId !== undefined ? `${sessionId}/agent-${agentId}` : `${sessionId}/sidechain-${k + 1}`;
      out.push(this.trajectory(id, group, { sidechain: true, parentSessionId: sessionId, ...(agentId !== undefined ? { agentId } : {}) }));
    });
    return out;
  }

  private trajectory(id: string, group: Entry[], extra: JsonObject): SessionTrajectory {
    const kept = this.chained ? onChain(group, this.parents) : group;
    const messages: Message[] = [];
    let lastAssistant: { messageId?: string; message: Message } | undefined;
    for (const entry of kept) {
      for (const message of entry.messages) {
        // Streaming: a line continuing the previous line's assistant message joins it.
        if (message.role === 'assistant' && lastAssistant && entry.messageId !== undefined && lastAssistant.messageId === entry.messageId) {
          mergeInto(lastAssistant.message, message);
          continue;
        }
        messages.push(message);
        lastAssistant = message.role === 'assistant' ? { messageId: entry.messageId, message } : undefined;
      }
    }
    const skippedLines: Record<string, number> = { ...this.skipped };
    if (kept.length < group.length) skippedLines['off the main branch'] = group.length - kept.length;
    const trajectory: Trajectory = {
      id,
      format: 'claude-code',
      messages,
      actionSteps: assistantSteps(messages),
      labels: {},
      metadata: { ...this.facts, ...extra, skippedLines, ...(this.summaries.length > 0 ? { summaries: [...this.summaries] } : {}) },
    };
    return { trajectory, line: group[0].line };
  }
}

/**
 * The entries on the chain that ends at the group's last entry, in file order. Walking up
 * `parentUuid` (through skipped lines; `logicalParentUuid` across a compaction boundary); where the
 * chain starts, it continues from the last entry before that start. An assistant message split over
 * lines is kept whole when any of its lines is on the chain.
 */
function onChain(group: Entry[], parents: ReadonlyMap<string, ChainLink>): Entry[] {
  const onPath = new Set<string>();
  let i = group.length - 1;
  while (i >= 0) {
    const start = group[i];
    if (start.uuid === undefined || onPath.has(start.uuid)) {
      i -= 1;
      continue;
    }
    const walked = new Set<string>();
    let rootLine = start.line;
    let joined = false;
    for (let uuid: string | undefined = start.uuid; uuid !== undefined && !walked.has(uuid); ) {
      if (onPath.has(uuid)) {
        joined = true;
        break;
      }
      walked.add(uuid);
      const link = parents.get(uuid);
      if (!link) break;
      rootLine = Math.min(rootLine, link.line);
      uuid = link.parent ?? link.logicalParent;
    }
    if (joined) {
      // A branch off the chain already walked: abandoned, left out.
      i -= 1;
      continue;
    }
    for (const uuid of walked) onPath.add(uuid);
    // The chain starts at rootLine; what comes before it continues the conversation (a compaction, a resumed session).
    while (i >= 0 && group[i].line >= rootLine) i -= 1;
  }
  const keptMessageIds = new Set<string>();
  for (const e of group) if (e.uuid !== undefined && onPath.has(e.uuid) && e.messageId !== undefined) keptMessageIds.add(e.messageId);
  return group.filter((e) => e.uuid === undefined || onPath.has(e.uuid) || (e.messageId !== undefined && keptMessageIds.has(e.messageId)));
}

/** Sidechain entries by sub-agent: `agentId` where lines carry it, else by the chain's first sidechain line. */
function groupSidechains(entries: Entry[], parents: ReadonlyMap<string, ChainLink>): Entry[][] {
  const groups = new Map<string, Entry[]>();
  const sidechainUuids = new Set(entries.flatMap((e) => (e.uuid !== undefined ? [e.uuid] : [])));
  for (const entry of entries) {
    let key = entry.agentId !== undefined ? `agent:${entry.agentId}` : undefined;
    if (key === undefined) {
      let root = entry.uuid;
      const seen = new Set<string>();
      while (root !== undefined && !seen.has(root)) {
        seen.add(root);
        const parent = parents.get(root)?.parent;
        if (parent === undefined || !sidechainUuids.has(parent)) break;
        root = parent;
      }
      key = `root:${root ?? entry.line}`;
    }
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [entry]);
  }
  return [...groups.values()];
}

/** `abc.jsonl` → `abc`. */
function baseName(fileName: string): string {
  const name = fileName.split(/[\\/]/).pop() ?? fileName;
  return name.replace(/\.(jsonl|ndjson|jsonlines|json)$/i, '');
}

export const claudeCodeAdapter: SessionAdapter = {
  id: 'claude-code',
  name: 'Claude Code session',
  signature: 'JSON Lines {type: user|assistant|summary|system, uuid, parentUuid, sessionId, message: {role, content}}',
  detectHead,
  open: (ctx) => new ClaudeCodeReader(ctx),
};
