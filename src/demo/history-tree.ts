/**
 * The environment's full history tree for each task, as the exact solver's decision tree: one node
 * per history at which the agent acts, keyed by the message history itself, with every valid action's
 * outcomes (the invalid lump is terminal with reward 0).
 */
import {
  DEMO_TASKS,
  VALID_ACTIONS,
  initialMessages,
  initialState,
  stepOutcomes,
  type DemoMessage,
  type DemoState,
  type ValidAction,
} from './environment';
import type { DecisionNode, DecisionOutcome } from './solver';

export type DemoDecisionNode = DecisionNode<readonly DemoMessage[]> & { state: DemoState };

/** The key of the node at which the agent acts after `messages`. */
export function historyKey(messages: readonly DemoMessage[]): string {
  return JSON.stringify(messages.map((message) => [message.role, message.content]));
}

function buildNode(messages: DemoMessage[], state: DemoState): DemoDecisionNode {
  const branches = VALID_ACTIONS.map((action: ValidAction) => {
    const afterAction: DemoMessage[] = [...messages, { role: 'assistant', content: action }];
    const outcomes: DecisionOutcome<readonly DemoMessage[]>[] = stepOutcomes(state, action).map((outcome) => {
      const nextMessages = [...afterAction, ...outcome.observations];
      return {
        probability: outcome.probability,
        reward: outcome.next.finished ? outcome.next.reward : 0,
        next: outcome.next.finished ? null : buildNode(nextMessages, outcome.next),
      };
    });
    return { action, outcomes };
  });
  return { key: historyKey(messages), context: messages, state, branches, invalidReward: 0 };
}

/** The tree of task `taskIndex`, rooted at the customer's request. */
export function buildTaskTree(taskIndex: number): DemoDecisionNode {
  return buildNode(initialMessages(taskIndex), initialState(taskIndex));
}

/** One tree per demo task, in task order. */
export function buildAllTaskTrees(): DemoDecisionNode[] {
  return DEMO_TASKS.map((_, taskIndex) => buildTaskTree(taskIndex));
}
