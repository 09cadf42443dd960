/**
 * A demo model as an agent of the environment: it writes each step token by token from the
 * network's distribution, and its exact action-string log-probs feed the solver.
 */
import { runEpisode, type DemoAgent, type DemoEpisode, type DemoMessage } from './environment';
import type { Gpt2Model, Gpt2Sequence } from './gpt2-inference';
import { sampleIndex, type Uniform } from './random';
import { MAX_ACTION_TOKENS, END_OF_STEP_ID, actionTokenIds, contentOfActionTokens, encodeAgentPrompt } from './tokenizer';

/** What the model wrote in one step, as tokens, and their summed log-prob under the model. */
export interface SampledStep {
  tokenIds: number[];
  logProb: number;
}

/**
 * An agent that samples from `model` at temperature 1: tokens until the end-of-step token or
 * {@link MAX_ACTION_TOKENS}. `sequence` (one per model) keeps the KV cache of shared prefixes.
 */
export function modelAgent(sequence: Gpt2Sequence, uniform: Uniform, onStep?: (step: SampledStep) => void): DemoAgent {
  return ({ messages }) => {
    const prompt = encodeAgentPrompt(messages);
    sequence.scoreTokens(prompt, prompt.length);
    const tokenIds: number[] = [];
    let logProb = 0;
    while (tokenIds.length < MAX_ACTION_TOKENS) {
      const distribution = sequence.logProbsAfter(sequence.length - 1);
      const tokenId = sampleIndex(Array.from(distribution, Math.exp), uniform);
      logProb += distribution[tokenId];
      tokenIds.push(tokenId);
      if (tokenId === END_OF_STEP_ID) break;
      sequence.push(tokenId);
    }
    onStep?.({ tokenIds, logProb });
    const written = tokenIds[tokenIds.length - 1] === END_OF_STEP_ID ? tokenIds.slice(0, -1) : tokenIds;
    return contentOfActionTokens(written);
  };
}

/**
 * One episode of `taskIndex` played by the model, with the tokens it sampled at each step. With an
 * `openingAgent`, that agent plays the first `openingSteps` steps (an exploring start) and the model
 * the rest; `sampled` is null for the opening's steps.
 */
export function sampleModelEpisode(
  sequence: Gpt2Sequence,
  taskIndex: number,
  agentName: string,
  agentUniform: Uniform,
  environmentUniform: Uniform,
  opening?: { agent: DemoAgent; steps: number },
): { episode: DemoEpisode; sampled: (SampledStep | null)[] } {
  const sampled: (SampledStep | null)[] = [];
  const model = modelAgent(sequence, agentUniform, (step) => sampled.push(step));
  const agent: DemoAgent = (context) => {
    if (opening && sampled.length < opening.steps) {
      sampled.push(null);
      return opening.agent(context);
    }
    return model(context);
  };
  return { episode: runEpisode(taskIndex, agent, agentName, environmentUniform), sampled };
}

/** The model's log-prob of each action string (content tokens and end-of-step token) after `messages`. */
export function modelActionLogProbs(model: Gpt2Model): (messages: readonly DemoMessage[], actions: readonly string[]) => number[] {
  const sequence = model.newSequence();
  return (messages, actions) => {
    const prompt = encodeAgentPrompt(messages);
    return actions.map((action) =>
      sequence.scoreTokens([...prompt, ...actionTokenIds(action)], prompt.length).reduce((sum, logProb) => sum + logProb, 0),
    );
  };
}
