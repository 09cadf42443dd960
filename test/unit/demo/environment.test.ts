import { describe, expect, it } from 'vitest';
import {
  DEMO_TASKS,
  HORIZON,
  VALID_ACTIONS,
  episodeRecord,
  initialState,
  parseAction,
  runEpisode,
  stateOfHistory,
  stepOutcomes,
  successStillPossible,
  type DemoEpisode,
} from '../../../src/demo/environment';
import { episodesJsonLines } from '../../../src/demo/episodes';
import { buildAllTaskTrees } from '../../../src/demo/history-tree';
import { NOISE, noisyAgent, noisyAgentDistribution } from '../../../src/demo/noisy-agent';
import { seededUniform } from '../../../src/demo/random';
import { collectNodes } from '../../../src/demo/solver';
import { DEMO_MODEL_CONFIG, longestTrainingSequence } from '../../../src/demo/config';
import {
  DEMO_VOCABULARY,
  DEMO_VOCAB_SIZE,
  END_OF_STEP_ID,
  VALID_ACTION_TOKEN_IDS,
  contentOfActionTokens,
  encodeConversation,
  tokenizeConversation,
} from '../../../src/demo/tokenizer';
import { parseTrajectoryText } from '../../../src/core/trajectory';
import { SPECIAL_TOKEN_IDS } from '../../../src/demo/word-level-tokenizer';

const allNodes = collectNodes(buildAllTaskTrees());

function playNoisy(seed: number, episodesPerTask: number): DemoEpisode[] {
  const agentUniform = seededUniform(seed);
  const environmentUniform = seededUniform(seed + 1);
  const agent = noisyAgent(agentUniform);
  return DEMO_TASKS.flatMap((_, taskIndex) =>
    Array.from({ length: episodesPerTask }, () => runEpisode(taskIndex, agent, 'noisy-agent', environmentUniform)),
  );
}

describe('demo environment', () => {
  it('has eight tasks with proper distributions and a small history tree', () => {
    expect(DEMO_TASKS).toHaveLength(8);
    for (const task of DEMO_TASKS) expect(task.statuses.reduce((sum, status) => sum + status.probability, 0)).toBeCloseTo(1, 12);
    // Small enough for exact solving with a network at every node.
    expect(allNodes.length).toBeGreaterThan(100);
    expect(allNodes.length).toBeLessThan(1000);
  });

  it('every action has outcomes with probabilities summing to 1 at every history, and the invalid lump ends the episode with 0', () => {
    for (const node of allNodes) {
      const state = node.state;
      expect(state.stepsTaken).toBeLessThan(HORIZON);
      for (const action of [...VALID_ACTIONS, null]) {
        const outcomes = stepOutcomes(state, action);
        expect(outcomes.reduce((sum, outcome) => sum + outcome.probability, 0)).toBeCloseTo(1, 12);
        for (const outcome of outcomes) {
          expect(outcome.probability).toBeGreaterThan(0);
          expect(outcome.next.stepsTaken).toBe(state.stepsTaken + 1);
          if (outcome.next.stepsTaken === HORIZON) expect(outcome.next.finished).toBe(true);
        }
      }
      const invalid = stepOutcomes(state, null);
      expect(invalid).toHaveLength(1);
      expect(invalid[0].next).toMatchObject({ finished: true, reward: 0 });
    }
  });

  it('replaying a history recovers its state (the state is a function of the messages)', () => {
    for (const node of allNodes) expect(stateOfHistory(node.context)).toEqual(node.state);
  });

  it('has irreversible mistakes and recoverable detours, so advantages differ in sign and size', () => {
    const start = initialState(DEMO_TASKS.findIndex((task) => task.id === 'where-package'));
    // Resolving before verifying: reward 0 at once.
    expect(stepOutcomes(start, 'refund order')).toMatchObject([{ probability: 1, next: { finished: true, reward: 0 } }]);
    expect(stepOutcomes(start, 'close ticket')[0].next).toMatchObject({ finished: true, reward: 0 });
    // Asking a customer who already said everything: a wasted step, success still possible.
    const [asked] = stepOutcomes(start, 'ask customer');
    expect(asked.next.finished).toBe(false);
    expect(successStillPossible(asked.next)).toBe(true);
    // The lookup can fail (retry) or reveal a status that decides the right resolution.
    const lookups = stepOutcomes(start, 'lookup order');
    expect(lookups.map((outcome) => outcome.observations[0].content)).toEqual(['error system busy', 'order shipped', 'order lost']);
    const shipped = lookups[1].next;
    expect(stepOutcomes(shipped, 'track package')[0].next.reward).toBe(1);
    expect(stepOutcomes(shipped, 'replace item')[0].next.reward).toBe(0);
    // An unclear broken-item request: resolving without asking is a gamble on the hidden preference.
    const lamp = DEMO_TASKS.findIndex((task) => task.id === 'broken-lamp');
    const verified = stepOutcomes(initialState(lamp), 'lookup order')[1].next;
    expect(stepOutcomes(verified, 'refund order').map((outcome) => [outcome.probability, outcome.next.reward])).toEqual([
      [0.7, 1],
      [0.30000000000000004, 0],
    ]);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(playNoisy(5, 3)).toEqual(playNoisy(5, 3));
    expect(JSON.stringify(playNoisy(5, 3))).not.toEqual(JSON.stringify(playNoisy(6, 3)));
  });

  it('labels the decisive step of failed episodes: success possible before it, impossible after', () => {
    const episodes = playNoisy(11, 20);
    const failures = episodes.filter((episode) => episode.reward === 0);
    expect(failures.length).toBeGreaterThan(20);
    for (const episode of episodes) {
      if (episode.reward === 1) {
        expect(episode.mistakeStep).toBeNull();
        continue;
      }
      const stepIndex = episode.steps.findIndex((step) => step.messageIndex === episode.mistakeStep);
      expect(stepIndex).toBeGreaterThanOrEqual(0);
      expect(episode.messages[episode.mistakeStep!].role).toBe('assistant');
      expect(successStillPossible(episode.steps[stepIndex].stateBefore)).toBe(true);
      const after = episode.steps[stepIndex + 1]?.stateBefore;
      if (after) expect(successStillPossible(after)).toBe(false);
    }
  });

  it('the noisy agent is a distribution that keeps every valid action possible', () => {
    for (const node of allNodes) {
      const distribution = noisyAgentDistribution(node.state);
      expect(distribution.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (const probability of distribution) expect(probability).toBeGreaterThanOrEqual(NOISE / VALID_ACTIONS.length - 1e-12);
    }
  });

  it('renders episodes as OpenAI chat JSON Lines that the app reads with rewards and task ids', () => {
    const episodes = playNoisy(21, 2);
    const text = episodesJsonLines(episodes);
    const { trajectories, errors } = parseTrajectoryText('demo-episodes.jsonl', text);
    expect(errors).toEqual([]);
    expect(trajectories).toHaveLength(episodes.length);
    trajectories.forEach((trajectory, index) => {
      const episode = episodes[index];
      expect(trajectory.format).toBe('openai-chat');
      expect(trajectory.taskId).toBe(DEMO_TASKS[episode.taskIndex].id);
      expect(trajectory.labels.reward).toBe(episode.reward);
      expect(trajectory.labels.success).toBe(episode.reward === 1);
      expect(trajectory.actionSteps).toEqual(episode.steps.map((step) => step.messageIndex));
      expect(trajectory.labels.mistakeStep ?? null).toBe(episode.mistakeStep);
    });
    expect(episodeRecord(episodes[0], 'x')).toMatchObject({ id: 'x', agent: 'noisy-agent' });
  });
});

describe('demo tokenizer', () => {
  it('covers every environment text without <unk>, in a small vocabulary, within the model context', () => {
    expect(DEMO_VOCAB_SIZE).toBeLessThanOrEqual(70);
    expect(DEMO_MODEL_CONFIG.vocabSize).toBe(DEMO_VOCAB_SIZE);
    for (const node of allNodes) expect(encodeConversation(node.context)).not.toContain(SPECIAL_TOKEN_IDS.unk);
    expect(longestTrainingSequence()).toBeLessThanOrEqual(DEMO_MODEL_CONFIG.contextLength);
  });

  it('every token string an agent can write has one outcome: valid exactly when it is the action’s own tokens', () => {
    // Steps of up to three tokens before the end-of-step token, over the whole vocabulary: 64³ strings.
    const canonical = new Set(VALID_ACTION_TOKEN_IDS.map((ids) => ids.slice(0, -1).join(',')));
    const vocabulary = Array.from({ length: DEMO_VOCAB_SIZE }, (_, id) => id).filter((id) => id !== END_OF_STEP_ID);
    let validCount = 0;
    const check = (ids: number[]) => {
      const valid = parseAction(contentOfActionTokens(ids)) !== null;
      expect(valid).toBe(canonical.has(ids.join(',')));
      if (valid) validCount++;
    };
    for (const a of vocabulary) {
      check([a]);
      for (const b of vocabulary) {
        check([a, b]);
        for (const c of vocabulary) {
          const content = contentOfActionTokens([a, b, c]);
          if (parseAction(content) !== null) check([a, b, c]);
        }
      }
    }
    expect(validCount).toBe(VALID_ACTIONS.length);
    expect(DEMO_VOCABULARY).toContain('\n');
  });

  it('finds every agent message’s header and action span', () => {
    const [episode] = playNoisy(3, 1);
    const { ids, agentSpans } = tokenizeConversation(episode.messages);
    expect(agentSpans.map((span) => span.messageIndex)).toEqual(episode.steps.map((step) => step.messageIndex));
    for (const span of agentSpans) {
      expect(span.actionStart - span.headerStart).toBe(2);
      expect(ids[span.end - 1]).toBe(END_OF_STEP_ID);
      const action = episode.messages[span.messageIndex].content;
      expect(ids.slice(span.actionStart, span.end)).toEqual(VALID_ACTION_TOKEN_IDS[VALID_ACTIONS.indexOf(action as (typeof VALID_ACTIONS)[number])]);
    }
  });
});

describe('tokenizeConversation on invalid steps', () => {
  it('keeps spans aligned when a step is empty or odd, and agrees with encoding the whole text', () => {
    const messages = [
      { role: 'system' as const, content: 'you are a shop support agent' },
      { role: 'user' as const, content: 'where is my package' },
      { role: 'assistant' as const, content: '' },
      { role: 'tool' as const, content: 'error unknown action' },
      { role: 'assistant' as const, content: 'tool: order' },
    ];
    const { ids, agentSpans } = tokenizeConversation(messages);
    expect(ids).toEqual(encodeConversation(messages));
    expect(agentSpans).toHaveLength(2);
    const [empty, odd] = agentSpans;
    // `assistant: \\n` in context: header, then a lone space (not in the vocabulary) and the end of step.
    expect(empty.actionStart - empty.headerStart).toBe(2);
    expect(ids.slice(empty.actionStart, empty.end)).toEqual([SPECIAL_TOKEN_IDS.unk, END_OF_STEP_ID]);
    expect(odd.end).toBe(ids.length);
    expect(ids[odd.end - 1]).toBe(END_OF_STEP_ID);
  });
});
