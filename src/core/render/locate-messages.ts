/**
 * Locating each message's tokens in a chat template's rendering of the whole conversation
 * (docs/architecture.md §2).
 *
 * Real templates are not prefix-stable: Qwen3 writes an empty `<think>` block into the last assistant
 * turn only, closes a run of tool results only after the last one, and Llama 3 appends an assistant
 * header after every conversation. So the tokens are always those of ONE rendering of the whole
 * conversation (what `apply_chat_template` gives), and the renderings of the prefixes serve only to
 * find where each message ends in it:
 *
 *   1. `ending`: what the template writes after the last message whatever it is (Llama 3's trailing
 *      assistant header): the rendering of no message, less what the whole rendering starts with too
 *      (a BOS, a tools preamble, a default system prompt), when the whole rendering ends with it.
 *   2. For message k, take the rendering of messages 0..k without that ending. Where it is a prefix of
 *      the whole rendering, message k ends where it ends. Where it is not (the template wrote the last
 *      message differently), message k ends after the longest tail of that rendering which the whole
 *      rendering continues with from the point they part: Qwen3's `…assistant\n<think>\n\n</think>\n\n`
 *      + text + `<|im_end|>\n` realigns on text + `<|im_end|>\n`.
 *   3. The last message ends at the end of the rendering (the trailing ending belongs to it); message
 *      0 starts after a leading BOS.
 *
 * A token at a boundary that belongs to neither side alone (white space the tokenizer merged across
 * two messages, markup both sides end with) goes to the message it is found with by these rules.
 */

/** Length of the longest common prefix of two token lists. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return length;
}

/** Length of the longest common suffix of two token lists. */
export function commonSuffixLength(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 1; i <= length; i++) if (a[a.length - i] !== b[b.length - i]) return i - 1;
  return length;
}

/**
 * The largest s such that the last s tokens of `tail` are the first s tokens of `full` from `from` on:
 * the prefix function (Knuth–Morris–Pratt) of full[from..from+|tail|) ++ [separator] ++ tail, so linear.
 */
export function suffixMatchingAt(tail: readonly number[], full: readonly number[], from: number): number {
  const windowLength = Math.min(tail.length, full.length - from);
  if (windowLength <= 0) return 0;
  const length = windowLength + 1 + tail.length;
  const at = (i: number): number => (i < windowLength ? full[from + i] : i === windowLength ? -1 : tail[i - windowLength - 1]);
  const prefix = new Int32Array(length);
  for (let i = 1; i < length; i++) {
    let k = prefix[i - 1];
    const value = at(i);
    while (k > 0 && at(k) !== value) k = prefix[k - 1];
    if (at(k) === value) k++;
    prefix[i] = k;
  }
  return prefix[length - 1];
}

/** Where, in the whole rendering `full`, the message whose prefix rendering is `prefix` ends (rule 2). */
export function messageEndIn(full: readonly number[], prefix: readonly number[], endingLength: number): number {
  const own = prefix.length >= endingLength ? prefix.slice(0, prefix.length - endingLength) : prefix;
  const agreed = commonPrefixLength(own, full);
  if (agreed === own.length) return agreed;
  return agreed + suffixMatchingAt(own.slice(agreed), full, agreed);
}

/** Rule 1: the tokens of `empty` (the rendering of no message) after those `full` starts with, when `full` ends with them. */
export function endingLengthIn(full: readonly number[], empty: readonly number[]): number {
  const preamble = commonPrefixLength(empty, full);
  const ending = empty.length - preamble;
  return ending > 0 && commonSuffixLength(empty, full) >= ending ? ending : 0;
}

/**
 * Spans of `count` messages in `full`. `prefixOf(k)` is the rendering of messages 0..k, `ending` the
 * rendering of no message (may be null when the template refuses an empty conversation). A message
 * whose end would fall before the previous one's is given the previous end (an empty span): the
 * caller checks spans against the messages' texts.
 */
export function locateMessageSpans(
  full: readonly number[],
  count: number,
  prefixOf: (k: number) => readonly number[],
  ending: readonly number[] | null,
  bosTokenId: number | null,
): { start: number; end: number }[] {
  const endingLength = ending === null ? 0 : endingLengthIn(full, ending);
  const spans: { start: number; end: number }[] = [];
  let start = full.length > 0 && bosTokenId !== null && full[0] === bosTokenId ? 1 : 0;
  for (let k = 0; k < count; k++) {
    const located = k === count - 1 ? full.length : messageEndIn(full, prefixOf(k), endingLength);
    const end = Math.min(full.length, Math.max(start, located));
    spans.push({ start, end });
    start = end;
  }
  return spans;
}
