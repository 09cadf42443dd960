/**
 * τ²-bench simulation files: `{timestamp, info, tasks[], simulations[]}`. A simulation has `id`,
 * `task_id`, `trial`, `reward_info.reward` and `messages[]` of
 * `{role: assistant | user | tool, content (may be null), tool_calls, turn_idx, …}`.
 * Tool calls are flat `{id, name, arguments: {…}, requestor}`; the user simulator has tools of its
 * own (user-side calls); a tool result's `id` is the id of the call it answers.
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Message, Trajectory } from '../types';
import { assistantSteps, readToolCalls, requireRole, successFromReward, textFromContent } from './messages';
import { labelDropper, readReward, type DropLabel } from './labels';
import { probeMessageList, readEach } from './records';
import {
  describeValue,
  FormatError,
  isObject,
  omitKeys,
  optionalId,
  optionalNumber,
  pathJoin,
  requireArray,
  requireObject,
  type JsonObject,
  requireMessageList,
} from './shape';

function explain(value: unknown): Mismatch | null {
  if (!isObject(value)) return { score: 0, path: '', expected: 'an object {timestamp, info, tasks, simulations}', found: describeValue(value) };
  if (!Array.isArray(value.simulations)) return { score: 1, path: 'simulations', expected: 'an array of simulations', found: describeValue(value.simulations) };
  const first = value.simulations[0];
  if (first === undefined) return null;
  if (!isObject(first) || !Array.isArray(first.messages)) {
    return { score: 2, path: 'simulations[0].messages', expected: 'the simulation’s message list (an array)', found: describeValue(isObject(first) ? first.messages : first) };
  }
  return probeMessageList(first.messages, 'simulations[0].messages', 3);
}

function readMessage(value: unknown, path: string): Message {
  const raw = requireObject(value, path, 'a message object {role, content}');
  const { role, sourceRole } = requireRole(raw.role, pathJoin(path, 'role'));
  const message: Message = { role, sourceRole, content: textFromContent(raw.content, pathJoin(path, 'content')) };
  const toolCalls = readToolCalls(raw.tool_calls, pathJoin(path, 'tool_calls'));
  if (toolCalls) message.toolCalls = toolCalls;
  if (role === 'tool') {
    const callId = optionalId(raw.id, pathJoin(path, 'id'));
    if (callId !== undefined) message.toolCallId = callId;
  }
  return message;
}

/** The run's settings that every simulation shares, kept once per trajectory by reference. */
function runMetadata(file: JsonObject): JsonObject {
  const info = isObject(file.info) ? file.info : {};
  const agent = isObject(info.agent_info) ? info.agent_info : {};
  const user = isObject(info.user_info) ? info.user_info : {};
  const environment = isObject(info.environment_info) ? info.environment_info : {};
  const meta: JsonObject = {};
  if (typeof environment.domain_name === 'string') meta.domain = environment.domain_name;
  if (typeof agent.llm === 'string') meta.agentModel = agent.llm;
  if (typeof user.llm === 'string') meta.userModel = user.llm;
  return meta;
}

function readSimulation(value: unknown, path: string, tasksById: Map<string, unknown>, shared: JsonObject, drop: DropLabel): Trajectory {
  const simulation = requireObject(value, path, 'a simulation {id, task_id, trial, reward_info, messages}');
  const taskId = optionalId(simulation.task_id, pathJoin(path, 'task_id'));
  const trial = optionalNumber(simulation.trial, pathJoin(path, 'trial'));
  const id =
    optionalId(simulation.id, pathJoin(path, 'id')) ??
    (taskId === undefined ? undefined : trial === undefined ? taskId : `${taskId}#${trial}`);
  if (id === undefined) throw FormatError.at(pathJoin(path, 'id'), 'a simulation id (or a task_id)', simulation.id);

  const messagesPath = pathJoin(path, 'messages');
  const messages = requireMessageList(simulation.messages, messagesPath, 'the simulation’s message list (an array)').map((m, i) =>
    readMessage(m, pathJoin(messagesPath, i)),
  );

  const rewardInfoPath = pathJoin(path, 'reward_info');
  let reward: number | undefined;
  if (simulation.reward_info !== undefined && simulation.reward_info !== null) {
    const rewardInfo = requireObject(simulation.reward_info, rewardInfoPath, 'an object {reward, …} or null');
    reward = readReward(rewardInfo.reward, pathJoin(rewardInfoPath, 'reward'), drop);
  }

  const metadata: JsonObject = { ...shared, ...omitKeys(simulation, ['messages', 'id', 'task_id']) };
  if (taskId !== undefined && tasksById.has(taskId)) metadata.task = tasksById.get(taskId);
  const trajectory: Trajectory = {
    id,
    format: 'tau2-bench',
    messages,
    actionSteps: assistantSteps(messages),
    labels: reward === undefined ? {} : { reward, success: successFromReward(reward) },
    metadata,
  };
  if (taskId !== undefined) trajectory.taskId = taskId;
  return trajectory;
}

function parse(value: unknown, ctx: ParseContext): Trajectory[] {
  const file = requireObject(value, '', 'an object {timestamp, info, tasks, simulations}');
  const simulations = requireArray(file.simulations, 'simulations', 'an array of simulations');
  const tasksById = new Map<string, unknown>();
  if (Array.isArray(file.tasks)) {
    for (const task of file.tasks) if (isObject(task) && (typeof task.id === 'string' || typeof task.id === 'number')) tasksById.set(String(task.id), task);
  }
  const shared = runMetadata(file);
  return readEach(simulations, 'simulations', ctx, (item, path, index) => readSimulation(item, path, tasksById, shared, labelDropper(ctx, index)));
}

export const tau2BenchAdapter: FormatAdapter = {
  id: 'tau2-bench',
  name: 'τ²-bench simulations',
  signature: '{simulations: [{id, task_id, messages, reward_info}]}',
  detect: (value) => explain(value) === null,
  explain,
  parse,
};
