/**
 * Two scorings of one trajectory, token against token. Each scoring tokenized the trajectory its
 * own way (another tokenizer, another render mode puts a role prefix or a chat template around the
 * message), so tokens are matched by the characters they cover: each side's token texts are laid
 * end to end, the message's own text is located in them, and two tokens are the same when they
 * cover the same span relative to that text and read the same. Characters before or after the
 * message's text are the renderer's (`[assistant]: `, `<|im_start|>…`): tokens wholly there are
 * not compared. When both sides hold the same token texts, every token pairs with its counterpart.
 */

/** One scored step of one scoring: its token texts (null: the record carries none) and per-token advantages (null: step-level scores only). */
export interface ScoredStepTokens {
  /** Message index of the step. */
  message: number;
  texts: readonly string[] | null;
  /** A_t = β·(log π_θ − log π_ref) per token; null when the scoring has no per-token figures (two tokenizers). */
  advantages: readonly number[] | null;
}

/** Two tokens, one of each scoring, that cover the same characters of the message. */
export interface TokenPair {
  /** Index of the token in scoring A's step, and in B's. */
  a: number;
  b: number;
  /** The characters covered, relative to the start of the message's text (negative: inside the renderer's prefix). */
  start: number;
  end: number;
  text: string;
  advantageA: number;
  advantageB: number;
  /** advantageA − advantageB. */
  difference: number;
}

/**
 * How a step was aligned: `same-tokens` (identical token texts: index by index), `by-characters`
 * (different tokenizations matched on character spans), `unaligned` (nothing could be matched:
 * `reason` says why), `one-side` (only one scoring scored this step).
 */
export type StepAlignmentKind = 'same-tokens' | 'by-characters' | 'unaligned' | 'one-side';

export interface StepAlignment {
  message: number;
  kind: StepAlignmentKind;
  /** Why nothing could be matched (`unaligned`, `one-side`), else null. */
  reason: string | null;
  pairs: TokenPair[];
  /** Per token of A (of B): the index of its pair in `pairs`, or -1 when it has none. */
  pairOfA: number[];
  pairOfB: number[];
}

/** Each token's [start, end) in the concatenation of the texts. */
export function tokenSpans(texts: readonly string[]): [number, number][] {
  const spans: [number, number][] = [];
  let at = 0;
  for (const text of texts) {
    spans.push([at, at + text.length]);
    at += text.length;
  }
  return spans;
}

function sameTexts(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((text, i) => text === b[i]);
}

function unaligned(message: number, kind: 'unaligned' | 'one-side', reason: string, a: ScoredStepTokens | null, b: ScoredStepTokens | null): StepAlignment {
  const count = (side: ScoredStepTokens | null) => side?.advantages?.length ?? side?.texts?.length ?? 0;
  return { message, kind, reason, pairs: [], pairOfA: new Array<number>(count(a)).fill(-1), pairOfB: new Array<number>(count(b)).fill(-1) };
}

/**
 * Aligns the tokens of one step scored twice. `messageText` is the message's own text (its
 * content), the anchor both renderings contain. Its last occurrence is used: renderers put their
 * additions (role names, template markers) before the text far more than after it.
 */
export function alignStepTokens(messageText: string, a: ScoredStepTokens | null, b: ScoredStepTokens | null): StepAlignment {
  const message = a?.message ?? b?.message ?? -1;
  if (!a || !b) return unaligned(message, 'one-side', `only scoring ${a ? 'A' : 'B'} scored this step`, a, b);
  if (!a.advantages || !b.advantages) {
    return unaligned(message, 'unaligned', `scoring ${a.advantages ? 'B' : 'A'} has step-level scores only (two tokenizers): no token advantages to compare`, a, b);
  }
  if (!a.texts || !b.texts) return unaligned(message, 'unaligned', `scoring ${a.texts ? 'B' : 'A'} carries no token texts`, a, b);
  const pairs: TokenPair[] = [];
  const pairOfA = new Array<number>(a.texts.length).fill(-1);
  const pairOfB = new Array<number>(b.texts.length).fill(-1);
  const add = (i: number, j: number, start: number, end: number) => {
    const advantageA = a.advantages![i];
    const advantageB = b.advantages![j];
    pairOfA[i] = pairs.length;
    pairOfB[j] = pairs.length;
    pairs.push({ a: i, b: j, start, end, text: a.texts![i], advantageA, advantageB, difference: advantageA - advantageB });
  };
  const spansA = tokenSpans(a.texts);
  const spansB = tokenSpans(b.texts);
  if (sameTexts(a.texts, b.texts)) {
    spansA.forEach(([start, end], i) => add(i, i, start, end));
    return { message, kind: 'same-tokens', reason: null, pairs, pairOfA, pairOfB };
  }
  const joinedA = a.texts.join('');
  const joinedB = b.texts.join('');
  let anchorA = messageText === '' ? -1 : joinedA.lastIndexOf(messageText);
  let anchorB = messageText === '' ? -1 : joinedB.lastIndexOf(messageText);
  // Only the tokens over the message's own text are compared; an identical rendering compares all of it.
  let from = 0;
  let to = messageText.length;
  if (anchorA < 0 || anchorB < 0) {
    if (joinedA !== joinedB) {
      return unaligned(message, 'unaligned', "the two scorings' token texts differ and the message's text is not found in both", a, b);
    }
    anchorA = anchorB = 0;
    from = -Infinity;
    to = Infinity;
  }
  const byspan = new Map<string, number>();
  spansB.forEach(([start, end], j) => byspan.set(`${start - anchorB}:${end - anchorB}`, j));
  spansA.forEach(([start, end], i) => {
    const s = start - anchorA;
    const e = end - anchorA;
    if (e <= from || s >= to || e === s) return;
    const j = byspan.get(`${s}:${e}`);
    if (j !== undefined && b.texts![j] === a.texts![i]) add(i, j, s, e);
  });
  return { message, kind: 'by-characters', reason: null, pairs, pairOfA, pairOfB };
}

/** The alignment of two whole scorings, step by step. */
export interface ScoringAlignment {
  /** One per message scored by either side, in message order. */
  steps: StepAlignment[];
  /** Token pairs in all. */
  sharedTokens: number;
  /** Whether any step was tokenized differently by the two scorings (then alignment is by characters). */
  tokenizationsDiffer: boolean;
}

/** Aligns every step scored by A or B; `messageTexts[m]` is message m's own text. */
export function alignScorings(messageTexts: readonly string[], a: readonly ScoredStepTokens[], b: readonly ScoredStepTokens[]): ScoringAlignment {
  const stepA = new Map(a.map((s) => [s.message, s] as const));
  const stepB = new Map(b.map((s) => [s.message, s] as const));
  const messages = [...new Set([...stepA.keys(), ...stepB.keys()])].sort((x, y) => x - y);
  const steps = messages.map((m) => alignStepTokens(messageTexts[m] ?? '', stepA.get(m) ?? null, stepB.get(m) ?? null));
  let sharedTokens = 0;
  for (const step of steps) sharedTokens += step.pairs.length;
  return { steps, sharedTokens, tokenizationsDiffer: steps.some((s) => s.kind === 'by-characters' || s.kind === 'unaligned') };
}
