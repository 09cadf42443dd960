/**
 * The demo's stochastic agent environment: a shop's customer-support desk, written as text.
 *
 * A customer writes one request (the task). The agent answers with short action strings, one per
 * step, each a verb and an argument ("lookup order"); the environment answers with a tool result or a
 * customer reply drawn at random. After at most {@link HORIZON} agent steps the episode ends with
 * reward 1 (the customer's problem is solved) or 0.
 *
 * Rules:
 * - `lookup order` fails with probability {@link LOOKUP_FAILURE_PROBABILITY} ("error system busy",
 *   retry); otherwise it verifies the order and reveals its status, drawn from the task's distribution.
 * - A resolution (`refund order`, `replace item`, `cancel order`, `track package`) ends the episode.
 *   Before the order is verified it is a policy violation (reward 0: an irreversible mistake). After
 *   it, it succeeds iff it is the right one: the customer's preference for a broken item, `track
 *   package` / `replace item` for a shipped / lost package, `cancel order` / `refund order` for a
 *   pending / shipped order the customer wants cancelled.
 * - `ask customer` makes the customer say what they want; for an unclear request ("my lamp arrived
 *   broken") the reply reveals the preference, drawn at random; otherwise the customer only repeats
 *   themselves (a recoverable detour that costs a step).
 * - `close ticket`, and any string that is not one of {@link VALID_ACTIONS} (the lumped invalid
 *   outcome), end the episode with reward 0.
 *
 * The state is a function of the message history (it remembers only what the messages revealed), so
 * histories and states are interchangeable for the exact solver.
 */
import { sampleIndex, type Uniform } from './random';
import { appendAll } from '../core/arrays';

export type DemoRole = 'system' | 'user' | 'assistant' | 'tool';

export interface DemoMessage {
  role: DemoRole;
  content: string;
}

export const SYSTEM_PROMPT = 'you are a shop support agent';

/** Every action string the environment accepts; any other agent output is the invalid outcome. */
export const VALID_ACTIONS = [
  'lookup order',
  'ask customer',
  'refund order',
  'replace item',
  'cancel order',
  'track package',
  'close ticket',
] as const;
export type ValidAction = (typeof VALID_ACTIONS)[number];

/** Agent steps per episode; an episode still open after this many ends with reward 0. */
export const HORIZON = 4;
export const LOOKUP_FAILURE_PROBABILITY = 0.3;

export type OrderStatus = 'delivered' | 'shipped' | 'lost' | 'pending';
export type Preference = 'refund' | 'replace';
export type RequestKind = 'broken' | 'where' | 'cancel';

export interface DemoTask {
  id: string;
  request: string;
  kind: RequestKind;
  /** What a verified lookup reports, with probabilities summing to 1. */
  statuses: readonly { status: OrderStatus; probability: number }[];
  /** `broken` only: the probability that the customer wants a refund rather than a replacement (0 or 1 when the request says). */
  refundPreference?: number;
}

/** Eight requests: four kinds of problem, with different hidden odds, so the optimal behaviour differs by task. */
export const DEMO_TASKS: readonly DemoTask[] = [
  { id: 'broken-lamp', request: 'my lamp arrived broken', kind: 'broken', statuses: [{ status: 'delivered', probability: 1 }], refundPreference: 0.7 },
  { id: 'broken-mug', request: 'my mug arrived broken', kind: 'broken', statuses: [{ status: 'delivered', probability: 1 }], refundPreference: 0.3 },
  {
    id: 'broken-chair-refund',
    request: 'my chair arrived broken i want a refund',
    kind: 'broken',
    statuses: [{ status: 'delivered', probability: 1 }],
    refundPreference: 1,
  },
  {
    id: 'broken-lamp-replace',
    request: 'my lamp arrived broken please send a new one',
    kind: 'broken',
    statuses: [{ status: 'delivered', probability: 1 }],
    refundPreference: 0,
  },
  { id: 'where-package', request: 'where is my package', kind: 'where', statuses: [{ status: 'shipped', probability: 0.6 }, { status: 'lost', probability: 0.4 }] },
  { id: 'where-mug', request: 'where is my mug', kind: 'where', statuses: [{ status: 'shipped', probability: 0.3 }, { status: 'lost', probability: 0.7 }] },
  { id: 'cancel-order', request: 'please cancel my order', kind: 'cancel', statuses: [{ status: 'pending', probability: 0.6 }, { status: 'shipped', probability: 0.4 }] },
  { id: 'cancel-chair', request: 'please cancel my chair', kind: 'cancel', statuses: [{ status: 'pending', probability: 0.3 }, { status: 'shipped', probability: 0.7 }] },
];

export const OBSERVATION_TEXT = {
  lookupFailed: 'error system busy',
  notVerified: 'error order not verified',
  unknownAction: 'error unknown action',
  ticketClosed: 'ticket closed',
  thanks: 'thank you',
  unhappy: 'this does not help',
  wantsRefund: 'i want a refund',
  wantsReplacement: 'please send a new one',
} as const;

const STATUS_TEXT: Record<OrderStatus, string> = {
  delivered: 'order delivered',
  shipped: 'order shipped',
  lost: 'order lost',
  pending: 'order pending',
};

type Resolution = 'refund order' | 'replace item' | 'cancel order' | 'track package';

const RESOLUTION_TEXT: Record<Resolution, string> = {
  'refund order': 'refund issued',
  'replace item': 'replacement sent',
  'cancel order': 'order cancelled',
  'track package': 'package arrives tomorrow',
};

const isResolution = (action: ValidAction): action is Resolution => action in RESOLUTION_TEXT;

export interface DemoState {
  taskIndex: number;
  stepsTaken: number;
  /** The order status once a lookup has verified the order. */
  status: OrderStatus | null;
  /** What the customer wants, once the request or a reply has said it (broken-item tasks). */
  preference: Preference | null;
  finished: boolean;
  reward: 0 | 1;
}

export interface Outcome {
  probability: number;
  /** The environment's messages after the agent's step (tool results, customer replies). */
  observations: DemoMessage[];
  next: DemoState;
}

export function taskOf(state: DemoState): DemoTask {
  return DEMO_TASKS[state.taskIndex];
}

function explicitPreference(task: DemoTask): Preference | null {
  if (task.refundPreference === 1) return 'refund';
  if (task.refundPreference === 0) return 'replace';
  return null;
}

export function initialState(taskIndex: number): DemoState {
  const task = DEMO_TASKS[taskIndex];
  if (!task) throw new Error(`No demo task ${taskIndex} (there are ${DEMO_TASKS.length})`);
  return { taskIndex, stepsTaken: 0, status: null, preference: explicitPreference(task), finished: false, reward: 0 };
}

export function initialMessages(taskIndex: number): DemoMessage[] {
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: DEMO_TASKS[taskIndex].request },
  ];
}

/** The valid action named by an agent message's content, or null for the invalid outcome. */
export function parseAction(content: string): ValidAction | null {
  return (VALID_ACTIONS as readonly string[]).includes(content) ? (content as ValidAction) : null;
}

const tool = (content: string): DemoMessage => ({ role: 'tool', content });
const customer = (content: string): DemoMessage => ({ role: 'user', content });

function preferenceText(preference: Preference): string {
  return preference === 'refund' ? OBSERVATION_TEXT.wantsRefund : OBSERVATION_TEXT.wantsReplacement;
}

function ended(state: DemoState, reward: 0 | 1, observations: DemoMessage[], probability = 1): Outcome {
  const closing = customer(reward === 1 ? OBSERVATION_TEXT.thanks : OBSERVATION_TEXT.unhappy);
  return { probability, observations: [...observations, closing], next: { ...state, stepsTaken: state.stepsTaken + 1, finished: true, reward } };
}

function continued(state: DemoState, changes: Partial<DemoState>, observations: DemoMessage[], probability = 1): Outcome {
  const next: DemoState = { ...state, ...changes, stepsTaken: state.stepsTaken + 1 };
  if (next.stepsTaken >= HORIZON) {
    // Out of steps: the customer gives up.
    return { probability, observations: [...observations, customer(OBSERVATION_TEXT.unhappy)], next: { ...next, finished: true, reward: 0 } };
  }
  return { probability, observations, next };
}

/** The resolution that solves the task given the order status and the customer's preference. */
function rightResolution(task: DemoTask, status: OrderStatus, preference: Preference): Resolution {
  switch (task.kind) {
    case 'broken':
      return preference === 'refund' ? 'refund order' : 'replace item';
    case 'where':
      return status === 'lost' ? 'replace item' : 'track package';
    case 'cancel':
      return status === 'shipped' ? 'refund order' : 'cancel order';
  }
}

/**
 * Every outcome of `action` (null = any invalid string) in `state`, with probabilities summing to 1.
 * Outcomes with equal observations are never listed twice.
 */
export function stepOutcomes(state: DemoState, action: ValidAction | null): Outcome[] {
  if (state.finished) throw new Error('stepOutcomes: the episode has already ended');
  const task = taskOf(state);
  if (action === null || action === 'close ticket') {
    return [ended(state, 0, [tool(action === null ? OBSERVATION_TEXT.unknownAction : OBSERVATION_TEXT.ticketClosed)])];
  }
  if (action === 'lookup order') {
    if (state.status !== null) return [continued(state, {}, [tool(STATUS_TEXT[state.status])])];
    return [
      continued(state, {}, [tool(OBSERVATION_TEXT.lookupFailed)], LOOKUP_FAILURE_PROBABILITY),
      ...task.statuses.map(({ status, probability }) =>
        continued(state, { status }, [tool(STATUS_TEXT[status])], (1 - LOOKUP_FAILURE_PROBABILITY) * probability),
      ),
    ];
  }
  if (action === 'ask customer') {
    if (state.preference !== null) return [continued(state, {}, [customer(preferenceText(state.preference))])];
    if (task.kind !== 'broken') return [continued(state, {}, [customer(task.request)])];
    const refund = task.refundPreference ?? 0.5;
    return [
      continued(state, { preference: 'refund' }, [customer(OBSERVATION_TEXT.wantsRefund)], refund),
      continued(state, { preference: 'replace' }, [customer(OBSERVATION_TEXT.wantsReplacement)], 1 - refund),
    ];
  }
  if (!isResolution(action)) throw new Error(`stepOutcomes: unhandled action ${action}`);
  if (state.status === null) return [ended(state, 0, [tool(OBSERVATION_TEXT.notVerified)])];
  const effect = [tool(RESOLUTION_TEXT[action])];
  if (state.preference !== null || task.kind !== 'broken') {
    const preference = state.preference ?? 'refund'; // not consulted outside broken-item tasks
    return [ended(state, rightResolution(task, state.status, preference) === action ? 1 : 0, effect)];
  }
  // An unclear broken-item request resolved without asking: the hidden preference decides.
  const refund = task.refundPreference ?? 0.5;
  const status = state.status;
  return (['refund', 'replace'] as const).map((preference) =>
    ended(state, rightResolution(task, status, preference) === action ? 1 : 0, effect, preference === 'refund' ? refund : 1 - refund),
  );
}

/** Draws one outcome of `action`. */
export function sampleOutcome(state: DemoState, action: ValidAction | null, uniform: Uniform): Outcome {
  const outcomes = stepOutcomes(state, action);
  return outcomes[sampleIndex(outcomes.map((outcome) => outcome.probability), uniform)];
}

const possibleCache = new Map<string, boolean>();

/** Whether some sequence of actions still reaches reward 1 with positive probability. */
export function successStillPossible(state: DemoState): boolean {
  if (state.finished) return state.reward === 1;
  const key = JSON.stringify(state);
  const cached = possibleCache.get(key);
  if (cached !== undefined) return cached;
  const possible = VALID_ACTIONS.some((action) =>
    stepOutcomes(state, action).some((outcome) => outcome.probability > 0 && successStillPossible(outcome.next)),
  );
  possibleCache.set(key, possible);
  return possible;
}

/** One agent step of an episode. */
export interface EpisodeStep {
  /** Index of the agent's message in `messages`. */
  messageIndex: number;
  /** The valid action, or null when the agent wrote anything else. */
  action: ValidAction | null;
  stateBefore: DemoState;
}

export interface DemoEpisode {
  taskIndex: number;
  /** Who acted: `policy`, `reference`, `noisy-agent`, … */
  agent: string;
  messages: DemoMessage[];
  steps: EpisodeStep[];
  reward: 0 | 1;
  /**
   * Failed episodes: the message index of the decisive step, the first agent step after whose outcome
   * success was no longer possible. null for successes.
   */
  mistakeStep: number | null;
}

/** What an agent writes for one step: its message content (the action string). */
export type DemoAgent = (context: { messages: readonly DemoMessage[]; state: DemoState }) => string;

/** Plays one episode of task `taskIndex`; all randomness of the environment comes from `uniform`. */
export function runEpisode(taskIndex: number, agent: DemoAgent, agentName: string, uniform: Uniform): DemoEpisode {
  const messages = initialMessages(taskIndex);
  const steps: EpisodeStep[] = [];
  let state = initialState(taskIndex);
  let mistakeStep: number | null = null;
  while (!state.finished) {
    const content = agent({ messages, state });
    const action = parseAction(content);
    steps.push({ messageIndex: messages.length, action, stateBefore: state });
    messages.push({ role: 'assistant', content });
    const outcome = sampleOutcome(state, action, uniform);
    appendAll(messages, outcome.observations);
    if (mistakeStep === null && !successStillPossible(outcome.next)) mistakeStep = steps[steps.length - 1].messageIndex;
    state = outcome.next;
  }
  return { taskIndex, agent: agentName, messages, steps, reward: state.reward, mistakeStep };
}

/** The state reached by replaying a message history (the inverse of rendering); throws on a history the environment cannot produce. */
export function stateOfHistory(messages: readonly DemoMessage[]): DemoState {
  const request = messages[1]?.content;
  const taskIndex = DEMO_TASKS.findIndex((task) => task.request === request);
  if (messages[0]?.content !== SYSTEM_PROMPT || taskIndex < 0) throw new Error('stateOfHistory: not a demo episode (unknown system prompt or request)');
  let state = initialState(taskIndex);
  let index = 2;
  while (index < messages.length) {
    const message = messages[index];
    if (message.role !== 'assistant') throw new Error(`stateOfHistory: message ${index} should be the agent's step`);
    if (state.finished) throw new Error(`stateOfHistory: message ${index} comes after the episode ended`);
    const outcomes = stepOutcomes(state, parseAction(message.content));
    const following = messages.slice(index + 1);
    const match = outcomes.find(
      (outcome) =>
        outcome.observations.length <= following.length &&
        outcome.observations.every((observation, offset) => observation.role === following[offset].role && observation.content === following[offset].content),
    );
    if (!match) throw new Error(`stateOfHistory: the messages after step ${index} are not an outcome of that step`);
    state = match.next;
    index += 1 + match.observations.length;
  }
  return state;
}

/** One JSON Lines record of the OpenAI chat format the app reads (`task_id`, `reward`, `mistake_step`). */
export interface DemoEpisodeRecord {
  id: string;
  task_id: string;
  messages: DemoMessage[];
  reward: 0 | 1;
  /** Message index of the decisive mistake (failed episodes only). */
  mistake_step?: number;
  agent: string;
}

export function episodeRecord(episode: DemoEpisode, id: string): DemoEpisodeRecord {
  const record: DemoEpisodeRecord = {
    id,
    task_id: DEMO_TASKS[episode.taskIndex].id,
    messages: episode.messages.map((message) => ({ ...message })),
    reward: episode.reward,
    agent: episode.agent,
  };
  if (episode.mistakeStep !== null) record.mistake_step = episode.mistakeStep;
  return record;
}

/** Every text the environment or a valid agent can write: the basis of the demo vocabulary. */
export function allEnvironmentTexts(): string[] {
  const texts = new Set<string>([SYSTEM_PROMPT, ...VALID_ACTIONS, ...Object.values(OBSERVATION_TEXT), ...Object.values(STATUS_TEXT), ...Object.values(RESOLUTION_TEXT)]);
  for (const task of DEMO_TASKS) texts.add(task.request);
  return [...texts];
}
