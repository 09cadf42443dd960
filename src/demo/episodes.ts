/** Sampling sets of demo episodes (examples, held-out verification sets) and writing them as JSON Lines. */
import { DEMO_TASKS, episodeRecord, runEpisode, type DemoEpisode } from './environment';
import type { Gpt2Model } from './gpt2-inference';
import { sampleModelEpisode } from './model-agent';
import { noisyAgent } from './noisy-agent';
import { deriveSeed, seededUniform } from './random';

export interface EpisodesPerTask {
  policy: number;
  noisyAgent: number;
}

/**
 * For every task, `policy` episodes sampled from the model and `noisyAgent` from the scripted agent, all
 * from `seed`. The two agents draw from separate streams, so the scripted episodes do not depend on the model.
 */
export function sampleMixedEpisodes(policy: Gpt2Model, seed: number, perTask: EpisodesPerTask): DemoEpisode[] {
  const sequence = policy.newSequence();
  const policyUniform = seededUniform(deriveSeed(seed, 'episodes-policy'));
  const policyEnvironmentUniform = seededUniform(deriveSeed(seed, 'episodes-policy-environment'));
  const scripted = noisyAgent(seededUniform(deriveSeed(seed, 'episodes-noisy-agent')));
  const scriptedEnvironmentUniform = seededUniform(deriveSeed(seed, 'episodes-noisy-agent-environment'));
  const episodes: DemoEpisode[] = [];
  DEMO_TASKS.forEach((_, taskIndex) => {
    for (let copy = 0; copy < perTask.policy; copy++) {
      episodes.push(sampleModelEpisode(sequence, taskIndex, 'policy', policyUniform, policyEnvironmentUniform).episode);
    }
    for (let copy = 0; copy < perTask.noisyAgent; copy++) episodes.push(runEpisode(taskIndex, scripted, 'noisy-agent', scriptedEnvironmentUniform));
  });
  return episodes;
}

/** One OpenAI-chat record per line, ids `<task>-<agent>-<n>`. */
export function episodesJsonLines(episodes: readonly DemoEpisode[]): string {
  const counters = new Map<string, number>();
  const lines = episodes.map((episode) => {
    const prefix = `${DEMO_TASKS[episode.taskIndex].id}-${episode.agent}`;
    const count = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, count);
    return JSON.stringify(episodeRecord(episode, `${prefix}-${count}`));
  });
  return `${lines.join('\n')}\n`;
}
