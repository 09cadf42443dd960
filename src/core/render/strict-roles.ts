/**
 * Agent logs mapped onto a chat template that only takes alternating user / assistant turns and has
 * no tool role and no tool-call field: Gemma 3's ("Conversation roles must alternate
 * user/assistant/user/assistant/..."). The mapping follows Gemma's own function-calling guide and
 * cookbook: the model writes its calls as text in a ```tool_code``` block, a call's result comes back
 * in a user turn as a ```tool_output``` block; a system prompt opens the first user turn (as Gemma's
 * template itself writes `messages[0]` of role system), and turns of one role in a row are one turn.
 *
 * The mapping is local (each message changes only its own turn or joins the one before), so mapping
 * messages 0..k gives the mapped conversation up to message k: the prefix renderings that locate each
 * message's tokens (locate-messages.ts) see the same turns as the whole rendering.
 */
import type { ChatTemplateMessage } from '../engine/types';
import type { Message, ToolCall } from '../trajectory/types';
import { pythonRepr } from './python';

/** Separates two messages joined into one turn (Gemma's template puts the system prompt before the first user text the same way). */
export const JOINED_TURN_SEPARATOR = '\n\n';

export interface AlternatingTurns {
  messages: ChatTemplateMessage[];
  /** What was changed, one sentence each, naming the messages (0-based indices into the trajectory). */
  changes: string[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A call as Python code, the way Gemma's cookbook has the model write it: `name(key='value', n=2)`. */
export function pythonCallText(call: ToolCall): string {
  const entries = Object.entries(call.arguments);
  if (entries.every(([key]) => IDENTIFIER.test(key))) {
    return `${call.name}(${entries.map(([key, value]) => `${key}=${pythonRepr(value)}`).join(', ')})`;
  }
  return `${call.name}(**${pythonRepr(call.arguments)})`;
}

/** An assistant's text followed by its calls in one ```tool_code``` block. */
export function assistantTextWithCalls(message: Message): string {
  const calls = message.toolCalls ?? [];
  if (calls.length === 0) return message.content;
  const block = '```tool_code\n' + calls.map(pythonCallText).join('\n') + '\n```';
  return message.content.length > 0 ? message.content + JOINED_TURN_SEPARATOR + block : block;
}

export function toolOutputText(content: string): string {
  return '```tool_output\n' + content + '\n```';
}

/** "message 3", "messages 3, 5 and 8". */
function messageList(indices: readonly number[]): string {
  if (indices.length === 1) return `message ${indices[0]}`;
  return `messages ${indices.slice(0, -1).join(', ')} and ${indices[indices.length - 1]}`;
}

/** "messages 3–5, 8–9". */
function runList(runs: readonly (readonly number[])[]): string {
  return `messages ${runs.map((run) => `${run[0]}–${run[run.length - 1]}`).join(', ')}`;
}

/** Turns of user / assistant only, alternating from a user turn, with what was changed to get there. */
export function toAlternatingTurns(messages: readonly Message[]): AlternatingTurns {
  const folded: number[] = [];
  const systemAsUser: number[] = [];
  const toolResults: number[] = [];
  const withCalls: number[] = [];
  const turns: { role: 'user' | 'assistant'; texts: string[]; sources: number[] }[] = [];
  messages.forEach((message, index) => {
    let role: 'user' | 'assistant';
    let text = message.content;
    if (message.role === 'assistant') {
      role = 'assistant';
      if (message.toolCalls && message.toolCalls.length > 0) {
        withCalls.push(index);
        text = assistantTextWithCalls(message);
      }
    } else {
      role = 'user';
      if (message.role === 'tool') {
        toolResults.push(index);
        text = toolOutputText(message.content);
      } else if (message.role === 'system') {
        (index === 0 ? folded : systemAsUser).push(index);
      }
    }
    const last = turns[turns.length - 1];
    if (last && last.role === role) {
      last.texts.push(text);
      last.sources.push(index);
    } else {
      turns.push({ role, texts: [text], sources: [index] });
    }
  });
  const changes: string[] = [];
  if (folded.length > 0) changes.push('system message 0 opens the first user turn (as the template writes a system prompt)');
  if (systemAsUser.length > 0) changes.push(`system ${messageList(systemAsUser)} written as user turns`);
  if (toolResults.length > 0) changes.push(`tool results (${messageList(toolResults)}) written as user turns in \`\`\`tool_output\`\`\` blocks`);
  if (withCalls.length > 0) changes.push(`tool calls of ${messageList(withCalls)} written into the assistant text as \`\`\`tool_code\`\`\` blocks`);
  const merged = turns.filter((turn) => turn.sources.length > 1).map((turn) => turn.sources);
  // A system prompt followed by the first user message is Gemma's own layout, not a merge worth naming.
  const named = merged.filter((run) => !(run.length === 2 && folded.includes(run[0])));
  if (named.length > 0) changes.push(`consecutive turns of one role joined into one turn: ${runList(named)}`);
  const mapped: ChatTemplateMessage[] = turns.map((turn) => ({ role: turn.role, content: turn.texts.join(JOINED_TURN_SEPARATOR) }));
  if (mapped.length > 0 && mapped[0].role === 'assistant') {
    mapped.unshift({ role: 'user', content: '' });
    changes.push(`an empty user turn inserted before message ${turns[0].sources[0]} (the template opens with a user turn)`);
  }
  return { messages: mapped, changes };
}
