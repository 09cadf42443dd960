/**
 * τ-bench (v1) results: `run.py` writes a JSON list of `EnvRunResult`
 * `{task_id: int, reward: float, info: {…}, traj: [messages], trial: int}`; `traj` is the
 * litellm message list (system, user, assistant with OpenAI tool calls, tool results).
 * A single result object (one JSON Lines record) is read too.
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Trajectory } from '../types';
import { assistantSteps, readChatMessage, successFromReward } from './messages';
import { labelDropper, readReward, type DropLabel } from './labels';
import { probeMessageList, readEach } from './records';
import { describeValue, FormatError, isObject, omitKeys, optionalId, optionalNumber, pathJoin, requireObject, requireMessageList } from './shape';

function explainResult(value: unknown, path: string, score: number): Mismatch | null {
  if (!isObject(value)) return { score, path, expected: 'a result {task_id, reward, traj, trial, info}', found: describeValue(value) };
  if (!('task_id' in value)) return { score: score + 1, path: pathJoin(path, 'task_id'), expected: 'the task id', found: describeValue(undefined) };
  if (!Array.isArray(value.traj)) return { score: score + 2, path: pathJoin(path, 'traj'), expected: 'the message list `traj` (an array)', found: describeValue(value.traj) };
  return probeMessageList(value.traj, pathJoin(path, 'traj'), score + 3);
}

function explain(value: unknown): Mismatch | null {
  if (Array.isArray(value)) {
    if (value.length === 0) return { score: 1, path: '', expected: 'a non-empty list of results', found: 'an empty array' };
    return explainResult(value[0], '[0]', 1);
  }
  return explainResult(value, '', 0);
}

function readResult(value: unknown, path: string, drop: DropLabel): Trajectory {
  const result = requireObject(value, path, 'a result {task_id, reward, traj, trial, info}');
  const taskId = optionalId(result.task_id, pathJoin(path, 'task_id'));
  if (taskId === undefined) throw FormatError.at(pathJoin(path, 'task_id'), 'the task id (an integer)', result.task_id);
  const trial = optionalNumber(result.trial, pathJoin(path, 'trial'));
  const reward = readReward(result.reward, pathJoin(path, 'reward'), drop);
  const trajPath = pathJoin(path, 'traj');
  const messages = requireMessageList(result.traj, trajPath, 'the message list `traj` (an array)').map((m, i) => readChatMessage(m, pathJoin(trajPath, i)));
  return {
    id: trial === undefined ? taskId : `${taskId}#${trial}`,
    format: 'tau-bench',
    taskId,
    messages,
    actionSteps: assistantSteps(messages),
    labels: reward === undefined ? {} : { reward, success: successFromReward(reward) },
    metadata: omitKeys(result, ['traj']),
  };
}

function parse(value: unknown, ctx: ParseContext): Trajectory[] {
  if (Array.isArray(value)) return readEach(value, '', ctx, (item, path, index) => readResult(item, path, labelDropper(ctx, index)));
  return [readResult(value, '', labelDropper(ctx))];
}

export const tauBenchAdapter: FormatAdapter = {
  id: 'tau-bench',
  name: 'τ-bench results',
  signature: '[{task_id, reward, traj: [messages], trial}]',
  detect: (value) => explain(value) === null,
  explain,
  parse,
};
