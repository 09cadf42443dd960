/**
 * mini-swe-agent runs (`*.traj.json`), as SWE-agent/mini-swe-agent's `save_traj` writes them
 * (`src/minisweagent/run/utils/save.py` @ 02e25f74): `{info: {exit_status, submission, model_stats,
 * mini_version, config}, messages: [...], trajectory_format: "mini-swe-agent-1"}` (later versions
 * write `"mini-swe-agent-1.1"`, and swebench runs add `instance_id` at the top level).
 *
 * `messages` is the agent's own OpenAI-style message list (`agents/default.py`): the system prompt,
 * the task, then the model's replies (each holding one bash block, or tool calls in versions that
 * use them) and the observations. The assistant messages are the action steps. A closing
 * `role: "exit"` message (the run's end, also in `info`) is skipped and counted.
 *
 * Labels: `info.resolved` where an evaluation added it. Otherwise `info.exit_status` says how the
 * run ended: `Submitted` says nothing about whether the submission solves the task (no label);
 * any other status (`LimitsExceeded`, an error) means the agent stopped without submitting, which
 * is a failure (success false). The exit status and submission are kept in `metadata`.
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Message, Trajectory } from '../types';
import { labelDropper, readFlag } from './labels';
import { assistantSteps, readChatMessage } from './messages';
import { describeValue, isObject, optionalString, pathJoin, requireMessageList, requireObject, type JsonObject } from './shape';

const FORMAT_PREFIX = 'mini-swe-agent-1';

function explain(value: unknown): Mismatch | null {
  const expectedTop = 'an object {info, messages, trajectory_format: "mini-swe-agent-1"}';
  if (!isObject(value)) return { score: 0, path: '', expected: expectedTop, found: describeValue(value) };
  const format = value.trajectory_format;
  if (typeof format !== 'string' || !format.startsWith('mini-swe-agent')) {
    return { score: 0, path: 'trajectory_format', expected: '"mini-swe-agent-1"', found: describeValue(format) };
  }
  if (!format.startsWith(FORMAT_PREFIX)) return { score: 2, path: 'trajectory_format', expected: '"mini-swe-agent-1" or "mini-swe-agent-1.x"', found: describeValue(format) };
  if (!Array.isArray(value.messages)) return { score: 3, path: 'messages', expected: 'the message list `messages` (an array)', found: describeValue(value.messages) };
  return null;
}

/** `github_issue.traj.json` → `github_issue`. */
function baseName(fileName: string): string {
  const name = fileName.split(/[\\/]/).pop() ?? fileName;
  return name.replace(/(\.traj)?\.json$/i, '');
}

function parse(value: unknown, ctx: ParseContext): Trajectory[] {
  const file = requireObject(value, '', 'an object {info, messages, trajectory_format}');
  const list = requireMessageList(file.messages, 'messages', 'the message list `messages` (an array)');
  const messages: Message[] = [];
  let exitMessages = 0;
  list.forEach((entry, i) => {
    if (isObject(entry) && entry.role === 'exit') {
      exitMessages += 1;
      return;
    }
    messages.push(readChatMessage(entry, pathJoin('messages', i)));
  });

  const info: JsonObject = isObject(file.info) ? file.info : {};
  const exitStatus = optionalString(info.exit_status, 'info.exit_status');
  const instanceId = optionalString(file.instance_id, 'instance_id');
  const config = isObject(info.config) && isObject(info.config.model) ? info.config.model : {};
  const trajectory: Trajectory = {
    id: instanceId ?? baseName(ctx.fileName),
    format: 'mini-swe-agent',
    messages,
    actionSteps: assistantSteps(messages),
    labels: {},
    metadata: {
      trajectoryFormat: file.trajectory_format,
      exitStatus,
      submission: info.submission,
      modelStats: info.model_stats,
      miniVersion: info.mini_version,
      model: config.model_name,
      exitMessages,
    },
  };
  if (instanceId !== undefined) trajectory.taskId = instanceId;
  const resolved = readFlag(info.resolved, 'info.resolved', labelDropper(ctx));
  if (resolved !== undefined) trajectory.labels.success = resolved;
  else if (exitStatus !== undefined && exitStatus !== 'Submitted') trajectory.labels.success = false;
  return [trajectory];
}

export const miniSweAgentAdapter: FormatAdapter = {
  id: 'mini-swe-agent',
  name: 'mini-swe-agent trajectory',
  signature: '{info: {exit_status, submission}, messages: [messages], trajectory_format: "mini-swe-agent-1"}',
  detect: (value) => explain(value) === null,
  explain,
  parse,
};
