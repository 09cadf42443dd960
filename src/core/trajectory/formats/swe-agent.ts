/**
 * SWE-agent `.traj` files: `{environment, trajectory[{action, observation, response, thought, state}],
 * history[], info, replay_config}`. `history` is the model's own message list (OpenAI tool calls in
 * function-calling mode). Demonstrations are marked in `history` with `is_demo: true` — either each
 * demo message (`put_demos_in_history`) or one user message with `message_type: 'demonstration'` —
 * and are left out: they are not this agent's trajectory. `info.exit_status` says how the run ended,
 * not whether the issue was resolved, so success is set only when `info` carries `resolved`.
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Message, Trajectory } from '../types';
import { labelDropper, readFlag } from './labels';
import { assistantSteps, readChatMessage } from './messages';
import { describeValue, isObject, optionalId, optionalString, pathJoin, requireArray, requireObject, type JsonObject } from './shape';

function explain(value: unknown): Mismatch | null {
  if (!isObject(value)) return { score: 0, path: '', expected: 'an object {environment, trajectory, history, info}', found: describeValue(value) };
  if (!Array.isArray(value.trajectory)) return { score: 1, path: 'trajectory', expected: 'the step list `trajectory` (an array)', found: describeValue(value.trajectory) };
  if (!Array.isArray(value.history)) return { score: 2, path: 'history', expected: 'the message list `history` (an array)', found: describeValue(value.history) };
  const step = value.trajectory[0];
  if (step !== undefined && !(isObject(step) && ('action' in step || 'observation' in step))) {
    return { score: 3, path: 'trajectory[0]', expected: 'a step {action, observation, response, thought}', found: describeValue(step) };
  }
  return null;
}

function isDemonstration(entry: unknown): boolean {
  return isObject(entry) && (entry.is_demo === true || entry.message_type === 'demonstration');
}

/** `replay_config` is an object in recent versions and a JSON string in some older ones. */
function instanceIdOf(file: JsonObject): string | undefined {
  let replay: unknown = file.replay_config;
  if (typeof replay === 'string') {
    try {
      replay = JSON.parse(replay);
    } catch {
      return undefined;
    }
  }
  if (isObject(replay) && isObject(replay.problem_statement)) {
    const id = replay.problem_statement.id;
    if (typeof id === 'string' && id !== '') return id;
  }
  return undefined;
}

/** `marshmallow-code__marshmallow-1867.traj` → `marshmallow-code__marshmallow-1867`. */
function baseName(fileName: string): string {
  const name = fileName.split(/[\\/]/).pop() ?? fileName;
  return name.replace(/\.traj$/, '');
}

function parse(value: unknown, ctx: ParseContext): Trajectory[] {
  const file = requireObject(value, '', 'an object {environment, trajectory, history, info}');
  const steps = requireArray(file.trajectory, 'trajectory', 'the step list `trajectory` (an array)');
  const history = requireArray(file.history, 'history', 'the message list `history` (an array)');

  const messages: Message[] = [];
  let demonstrationMessages = 0;
  history.forEach((entry, i) => {
    if (isDemonstration(entry)) {
      demonstrationMessages += 1;
      return;
    }
    const path = pathJoin('history', i);
    const message = readChatMessage(entry, path);
    const raw = entry as JsonObject;
    // Observations answer the call named in `tool_call_ids` (one per observation in function-calling mode).
    if (message.role === 'tool' && message.toolCallId === undefined && Array.isArray(raw.tool_call_ids)) {
      const callId = optionalId(raw.tool_call_ids[0], pathJoin(pathJoin(path, 'tool_call_ids'), 0));
      if (callId !== undefined) message.toolCallId = callId;
    }
    // `agent` names whose history this is; it is the author only of the assistant messages.
    const agent = optionalString(raw.agent, pathJoin(path, 'agent'));
    if (agent !== undefined && message.name === undefined && message.role === 'assistant') message.name = agent;
    messages.push(message);
  });

  const info = isObject(file.info) ? file.info : {};
  const instanceId = instanceIdOf(file);
  const trajectory: Trajectory = {
    id: instanceId ?? baseName(ctx.fileName),
    format: 'swe-agent',
    messages,
    actionSteps: assistantSteps(messages),
    labels: {},
    metadata: {
      environment: file.environment,
      exitStatus: info.exit_status,
      submission: info.submission,
      modelStats: info.model_stats,
      trajectorySteps: steps.length,
      demonstrationMessages,
    },
  };
  if (instanceId !== undefined) trajectory.taskId = instanceId;
  const resolved = readFlag(info.resolved, 'info.resolved', labelDropper(ctx));
  if (resolved !== undefined) trajectory.labels.success = resolved;
  return [trajectory];
}

export const sweAgentAdapter: FormatAdapter = {
  id: 'swe-agent',
  name: 'SWE-agent trajectory',
  signature: '{trajectory: [steps], history: [messages], info}',
  detect: (value) => explain(value) === null,
  explain,
  parse,
};
