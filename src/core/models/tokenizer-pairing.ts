/**
 * Can two models be scored at token level on one rendering? `checkTokenizersMatch` (the engine's
 * test) asks for the same vocabulary AND the same special-token roles. Instruct models and their
 * bases usually fail the second half only: the instruct tokenizer config names `<|im_end|>` as its
 * end-of-sequence token where the base names `<|endoftext|>`, over one and the same vocabulary.
 * The ids of a rendering then mean the same tokens to both models, so token-level scores are
 * still exact; only step-level scores would throw that away. This module tells the three cases
 * apart: identical tokenizers, the same vocabulary with different special-token roles (token level
 * with a notice), different vocabularies (step level with a notice).
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { checkTokenizersMatch } from '../engine/pair';
import type { TokenizerLike } from '../engine/types';
import { vocabularyFingerprint, type SpecialTokenIds } from '../tokenizer/fingerprint';

/** What the pairing needs of each tokenizer beyond TokenizerLike. */
export interface TokenizerIdentity {
  tokenizer: Pick<TokenizerLike, 'vocabularyFingerprint' | 'encode'>;
  /** Fingerprint of the id ↔ token map alone (see `vocabularyOnlyFingerprint`). */
  vocabularyOnlyFingerprint: string;
  specialTokens: Omit<SpecialTokenIds, 'all'>;
}

export type TokenizerPairing =
  | { level: 'token'; relation: 'identical' }
  | { level: 'token'; relation: 'same-vocabulary'; notice: string }
  | { level: 'step'; notice: string };

const NO_SPECIAL_TOKENS: SpecialTokenIds = { bos: null, eos: null, pad: null, unk: null, all: [] };

/** The fingerprint of a vocabulary's id ↔ token map, with no special-token roles in it. */
export function vocabularyOnlyFingerprint(entries: Iterable<readonly [token: string, id: number]>): string {
  return vocabularyFingerprint(entries, NO_SPECIAL_TOKENS);
}

function optionalId(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

/** The identity of a loaded transformers.js tokenizer, next to its TokenizerLike adapter. */
export function transformersTokenizerIdentity(raw: PreTrainedTokenizer, tokenizer: TokenizerIdentity['tokenizer']): TokenizerIdentity {
  const entries: Array<[string, number]> = [];
  // get_vocab() walks an id-indexed array; ids with no token come out with an undefined key.
  for (const [token, id] of raw.get_vocab()) if (typeof token === 'string') entries.push([token, id]);
  return {
    tokenizer,
    vocabularyOnlyFingerprint: vocabularyOnlyFingerprint(entries),
    specialTokens: {
      bos: optionalId(raw.bos_token_id),
      eos: optionalId(raw.eos_token_id),
      pad: optionalId(raw.pad_token_id),
      unk: optionalId(raw.unk_token_id),
    },
  };
}

/**
 * Texts both tokenizers must split identically before a shared vocabulary is trusted (the same
 * vocabulary with different merges or normalisation would split text differently): prose, JSON
 * tool calls, code, digits, white-space runs and non-ASCII text.
 */
export const TOKENIZATION_PROBES: readonly string[] = [
  '[user]: Hi! I need to change my flight from JFK to SEA on 2024-05-20, reservation 4WQ150.',
  "\n[assistant]: Sure.\ntool_call(get_reservation_details, {'reservation_id': '4WQ150', 'n': 3, 'ok': True, 'x': None})",
  '{"name": "book_reservation", "arguments": {"cabin": "basic_economy", "amount": 39.5}}',
  'def fix(bug):\n    return [x ** 2 for x in range(10)]  # 1234567890\n\t\tend',
  'Ünïcödé — «quotes», 日本語, emoji 🙂, tabs\tand   spaces.',
];

const stepLevelConsequence =
  'falling back to step-level scores: each model scores the trajectory in its own tokenization and a step gets the difference of its two log-likelihoods';

function differingSpecialTokens(policy: TokenizerIdentity, reference: TokenizerIdentity): string[] {
  return (['bos', 'eos', 'pad', 'unk'] as const)
    .filter((role) => policy.specialTokens[role] !== reference.specialTokens[role])
    .map((role) => `${role} ${policy.specialTokens[role] ?? 'none'} vs ${reference.specialTokens[role] ?? 'none'}`);
}

function firstProbeDifference(policy: TokenizerIdentity, reference: TokenizerIdentity): string | null {
  for (const text of TOKENIZATION_PROBES) {
    const a = policy.tokenizer.encode(text);
    const b = reference.tokenizer.encode(text);
    if (a.length !== b.length || a.some((id, index) => id !== b[index])) return `they split ${JSON.stringify(text.slice(0, 40))}… differently`;
  }
  return null;
}

export function pairTokenizers(policy: TokenizerIdentity, reference: TokenizerIdentity): TokenizerPairing {
  const match = checkTokenizersMatch(policy.tokenizer, reference.tokenizer);
  if (match.match) return { level: 'token', relation: 'identical' };
  if (policy.vocabularyOnlyFingerprint === reference.vocabularyOnlyFingerprint) {
    const probeDifference = firstProbeDifference(policy, reference);
    if (probeDifference === null) {
      const roles = differingSpecialTokens(policy, reference);
      return {
        level: 'token',
        relation: 'same-vocabulary',
        notice: `the policy and reference tokenizers share their vocabulary but not their special-token roles (${roles.length > 0 ? roles.join(', ') : 'the set of special ids'}); both models read the rendering made with the policy tokenizer, so scores stay token level`,
      };
    }
    return { level: 'step', notice: `the policy and reference tokenizers share their vocabulary but ${probeDifference}; ${stepLevelConsequence}` };
  }
  return {
    level: 'step',
    notice: `the policy and reference tokenizers have different vocabularies (fingerprints ${policy.vocabularyOnlyFingerprint} and ${reference.vocabularyOnlyFingerprint}); ${stepLevelConsequence}`,
  };
}
