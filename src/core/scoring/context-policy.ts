/**
 * What is scored of a trajectory longer than the context (docs/score.md §4).
 *
 * `fit`, the product's: every step that fits in the models' context is scored with everything
 * before it as context; the steps beyond it are unscored and listed (src/core/engine/pair.ts).
 *
 * `reference`, the reference code's, for parity with its figures: the rendered sequence is cut to
 * its last N tokens (left truncation, N = 16,384 there) and that sequence is scored as if it were the
 * whole trajectory: its first token has no context, a step cut whole has no figures, a step cut in
 * part keeps the figures of its kept tokens. The reference code counts a cut step 0; here it is
 * unscored with the reason `left-truncated`, and the evaluation's `unscored: zero` counts it 0 (the
 * settings panel sets both for parity).
 */
import type { NotScoredStep } from '../engine/pair';
import type { MessageSpan, RenderedTrajectory } from '../render/types';
import { SETTING_BOUNDS } from '../settings/analysis';
import { CONTEXT_POLICIES, REFERENCE_CONTEXT_TOKENS, type ContextPolicyName } from '../settings/vocabularies';

export type ContextPolicy = { policy: 'fit' } | { policy: 'reference'; tokens: number };

export const FIT_CONTEXT: ContextPolicy = { policy: 'fit' };
export const REFERENCE_CONTEXT: ContextPolicy = { policy: 'reference', tokens: REFERENCE_CONTEXT_TOKENS };

/** How a policy is named in records and messages: `fit`, `reference (last 16384 tokens)`. */
export function describeContextPolicy(context: ContextPolicy): string {
  return context.policy === 'fit' ? 'fit' : `reference (last ${context.tokens} tokens)`;
}

/** The policy the analysis settings name (`contextPolicy`, `contextTokens`). */
export function contextPolicyOf(settings: { contextPolicy: ContextPolicyName; contextTokens: number }): ContextPolicy {
  return settings.contextPolicy === 'fit' ? FIT_CONTEXT : { policy: 'reference', tokens: settings.contextTokens };
}

/** The CLI's `--context-policy P --context-tokens N`; an Error names the option at fault. */
export function parseContextPolicyOptions(policy: string | undefined, tokens: string | undefined): ContextPolicy {
  if (policy !== undefined && !(CONTEXT_POLICIES as readonly string[]).includes(policy)) {
    throw new Error(`--context-policy: unknown value '${policy}' (expected ${CONTEXT_POLICIES.join(' | ')})`);
  }
  if (policy !== 'reference') {
    if (tokens !== undefined) throw new Error("--context-tokens is the reference context policy's N: give --context-policy reference with it");
    return FIT_CONTEXT;
  }
  if (tokens === undefined) return REFERENCE_CONTEXT;
  const { atLeast, atMost } = SETTING_BOUNDS.contextTokens;
  if (!/^\d+$/.test(tokens) || Number(tokens) < atLeast || Number(tokens) > atMost) {
    throw new Error(`--context-tokens: expected a whole number from ${atLeast} to ${atMost}, got '${tokens}'`);
  }
  return { policy: 'reference', tokens: Number(tokens) };
}

export interface LeftTruncation {
  /** The rendering cut to its last `tokens` tokens, spans shifted (a span cut whole is empty at 0). */
  rendered: RenderedTrajectory;
  /** Tokens cut from the start. */
  cut: number;
}

function shifted(span: MessageSpan, cut: number): MessageSpan {
  return { message: span.message, start: Math.max(0, span.start - cut), end: Math.max(0, span.end - cut) };
}

/** The rendering's last `tokens` tokens, as the reference code keeps them; null when it is no longer than that. */
export function leftTruncate(rendered: RenderedTrajectory, tokens: number): LeftTruncation | null {
  const cut = rendered.tokenIds.length - tokens;
  if (cut <= 0) return null;
  return {
    cut,
    rendered: {
      ...rendered,
      tokenIds: rendered.tokenIds.slice(cut),
      messageSpans: rendered.messageSpans.map((span) => shifted(span, cut)),
      actionSpans: rendered.actionSpans.map((span) => shifted(span, cut)),
    },
  };
}

/**
 * The notScored list of a truncated rendering's scores, in the original's words: a step the cut
 * touched is `left-truncated` (its figures, if any, are those of its kept tokens but the first of
 * the sequence), instead of the `empty-span` / `first-token` the truncated sequence alone suggests.
 */
export function truncatedNotScored(notScored: readonly NotScoredStep[], original: RenderedTrajectory, truncation: LeftTruncation): NotScoredStep[] {
  const { cut } = truncation;
  const kept = original.tokenIds.length - cut;
  const touched = new Map<number, NotScoredStep>();
  for (const span of original.actionSpans) {
    if (span.start >= cut || span.end === span.start) continue;
    const length = span.end - span.start;
    const where = `the reference context policy keeps the last ${kept} of the ${original.tokenIds.length} rendered tokens`;
    const detail =
      span.end <= cut
        ? `message ${span.message} lies in the first ${cut} tokens, which ${where}; the reference code counts the step 0`
        : `${cut - span.start} of message ${span.message}'s ${length} tokens are cut (${where}) and the first kept token has no context: its last ${span.end - cut - 1} tokens are scored`;
    touched.set(span.message, { message: span.message, reason: 'left-truncated', side: 'both', detail });
  }
  const steps = notScored.filter((step) => !touched.has(step.message));
  for (const step of touched.values()) steps.push(step);
  return steps.sort((a, b) => a.message - b.message);
}
