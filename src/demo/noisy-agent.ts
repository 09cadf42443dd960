/**
 * The noisy scripted agent whose episodes the reference model imitates: a plausible support agent
 * that usually verifies the order first, often guesses instead of asking, confuses some resolutions,
 * and with probability {@link NOISE} acts uniformly at random. It only ever writes valid actions.
 */
import { VALID_ACTIONS, taskOf, type DemoAgent, type DemoState, type ValidAction } from './environment';
import { sampleIndex, type Uniform } from './random';

export const NOISE = 0.15;

type Script = Partial<Record<ValidAction, number>>;

/** The scripted (noise-free) behaviour in `state`: weights over actions, summing to 1. */
function script(state: DemoState): Script {
  const task = taskOf(state);
  if (state.status === null) {
    if (task.kind === 'broken' && state.preference === null) return { 'lookup order': 0.75, 'ask customer': 0.15, 'refund order': 0.05, 'replace item': 0.05 };
    const hasty: ValidAction =
      task.kind === 'where' ? 'track package' : task.kind === 'cancel' ? 'cancel order' : state.preference === 'replace' ? 'replace item' : 'refund order';
    return { 'lookup order': 0.85, 'ask customer': 0.05, [hasty]: 0.1 };
  }
  switch (task.kind) {
    case 'broken':
      if (state.preference === null) return { 'ask customer': 0.5, 'refund order': 0.3, 'replace item': 0.2 };
      return state.preference === 'refund'
        ? { 'refund order': 0.9, 'replace item': 0.05, 'close ticket': 0.05 }
        : { 'replace item': 0.85, 'refund order': 0.1, 'close ticket': 0.05 };
    case 'where':
      return state.status === 'lost' ? { 'replace item': 0.6, 'track package': 0.3, 'refund order': 0.1 } : { 'track package': 0.7, 'replace item': 0.3 };
    case 'cancel':
      return state.status === 'shipped' ? { 'refund order': 0.5, 'cancel order': 0.5 } : { 'cancel order': 0.8, 'refund order': 0.2 };
  }
}

/** The agent's exact action distribution in `state`, in {@link VALID_ACTIONS} order. */
export function noisyAgentDistribution(state: DemoState): number[] {
  const scripted = script(state);
  return VALID_ACTIONS.map((action) => NOISE / VALID_ACTIONS.length + (1 - NOISE) * (scripted[action] ?? 0));
}

export function noisyAgent(uniform: Uniform): DemoAgent {
  return ({ state }) => VALID_ACTIONS[sampleIndex(noisyAgentDistribution(state), uniform)];
}
