import { describe, expect, it } from 'vitest';
import { renderChat } from '../../../../src/core/render';
import type { TokenizerLike } from '../../../../src/core/engine/types';
import { ContextLimitError } from '../../../../src/core/engine/types';
import type { NotScoredStep } from '../../../../src/core/engine/pair';
import type { Trajectory } from '../../../../src/core/trajectory/types';
import { classifyScoringError, contextOf, summariseScoringProblems } from '../../../../src/ui/scoring/scoring-problems';

const trajectory: Trajectory = {
  id: 'sim-1',
  format: 'openai-chat',
  messages: [
    { role: 'user', sourceRole: 'user', content: 'Hi there' },
    { role: 'assistant', sourceRole: 'assistant', content: 'Hello' },
  ],
  actionSteps: [1],
  labels: {},
  metadata: {},
};

function tokenizer(applyChatTemplate: TokenizerLike['applyChatTemplate']): TokenizerLike {
  return { encode: () => [], decodeTokens: (ids) => ids.map(String), bosTokenId: null, eosTokenId: null, applyChatTemplate, vocabularyFingerprint: 'fake' };
}

/** The message core's chat renderer really throws for a tokenizer. */
function renderMessage(t: TokenizerLike): string {
  try {
    renderChat(trajectory, t);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('rendered');
}

// A template that writes the message count first: no prefix rendering locates a message in the whole one.
const NOT_LOCATED = renderMessage(tokenizer((messages) => [messages.length, ...messages.map((_, i) => 100 + i)]));
const NO_TEMPLATE = renderMessage(tokenizer(null));
const TEMPLATE_FAILED = renderMessage(
  tokenizer(() => {
    throw new Error('Unknown filter tojson');
  }),
);
// The detail src/core/engine/pair.ts writes for a step beyond the context.
const contextStep = (message: number): NotScoredStep => ({
  message,
  reason: 'context-limit',
  side: 'both',
  detail: `message ${message} ends at token 300: scoring it needs 300 tokens of context, but the policy model (random GPT-2) takes 128 and the reference model (random GPT-2) takes 128`,
});

describe('classifyScoringError', () => {
  it('reads the causes from the real message texts', () => {
    expect(NOT_LOCATED).toContain('rendering could not be split into messages');
    expect(classifyScoringError(NOT_LOCATED)).toBe('messages-not-located');
    expect(classifyScoringError(NO_TEMPLATE)).toBe('no-chat-template');
    expect(classifyScoringError(TEMPLATE_FAILED)).toBe('chat-template-failed');
    expect(classifyScoringError(new ContextLimitError(128, 300).message)).toBe('context-limit');
    expect(classifyScoringError('sim-1: the rendering’s action spans do not match')).toBe('other');
  });

  it('finds the smallest context a message names', () => {
    expect(contextOf(contextStep(3).detail)).toBe(128);
    expect(contextOf('message 3 …, but the reference model (x) takes 64')).toBe(64);
    expect(contextOf(new ContextLimitError(512, 900).message)).toBe(512);
    expect(contextOf('nothing here')).toBeNull();
  });
});

describe('summariseScoringProblems', () => {
  const nameOf = (key: string) => `file-${key.split(':')[0]}.json · traj ${key.split(':')[1]}`;

  it('gives one line per cause with its count, its action and each trajectory named by file and id', () => {
    const errors = [
      ...Array.from({ length: 360 }, (_, i) => ({ key: `2:${i}`, message: NOT_LOCATED })),
      { key: '3:0', message: NO_TEMPLATE },
      { key: '', message: 'the worker stopped' },
    ];
    const notScored = [
      { key: '1:0', notScored: [contextStep(5), contextStep(7)] },
      { key: '1:1', notScored: [contextStep(9)] },
      { key: '1:2', notScored: [{ ...contextStep(0), reason: 'first-token' as const }] },
    ];
    const summaries = summariseScoringProblems(errors, notScored, nameOf);
    expect(summaries.map((s) => [s.cause, s.count, s.action])).toEqual([
      ['messages-not-located', 360, 'score-plain'],
      ['no-chat-template', 1, 'score-plain'],
      ['context-limit', 2, 'longer-context'],
      ['other', 1, null],
    ]);
    expect(summaries[0].text).toBe('360 could not be split into messages under the chat template');
    expect(summaries[1].text).toBe('1 could not be rendered: the tokenizer has no chat template');
    expect(summaries[2].text).toBe("2 exceed the pair's 128-token context (their later steps are not scored)");
    expect(summaries[0].items[7]).toEqual({ key: '2:7', name: 'file-2.json · traj 7', message: NOT_LOCATED });
    expect(summaries[2].items[0].message).toMatch(/^2 steps not scored: message 5 ends at token 300/);
    expect(summaries[2].items[1].message).toMatch(/^1 step not scored/);
    expect(summaries[3].items[0].name).toBe('the job');
  });

  it('says nothing when nothing went wrong', () => {
    expect(summariseScoringProblems([], [{ key: '1:0', notScored: [] }], nameOf)).toEqual([]);
  });

  it('uses the verb in the singular for one trajectory', () => {
    const [one] = summariseScoringProblems([{ key: '1:0', message: NOT_LOCATED }], [], nameOf);
    expect(one.text).toBe('1 could not be split into messages under the chat template');
  });
});
