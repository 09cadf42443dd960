/**
 * A plain-mode scored message shown as the message's own text, coloured token by token. The plain
 * renderer (src/core/render/plain.ts) writes each message as `\n[role]: body`, tokenized on its
 * own, so the step's tokens cover exactly that text. Their decoded texts do not always spell it
 * (`<unk>` for characters a vocabulary lacks, word-level tokenizers drop spaces, byte tokens decode
 * to `�`): each token is matched onto the text in order, spaces between tokens go to the next token,
 * and an unmatched run of tokens shares the characters up to the next match. A token is then shown
 * as the characters it covers, and the characters of the renderer's `[role]: ` prefix are marked as
 * not the agent's. When the tokens cannot be matched (another rendering, a normalising tokenizer)
 * the caller shows the decoded tokens instead. Pure.
 */

/** How far past the last match an unmatched run may reach before matching is given up. */
const SEARCH_WINDOW = 64;
/** The most consecutive unmatched tokens before matching is given up. */
const MAX_UNMATCHED_RUN = 16;

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

/** Where `token` starts in `text` at or after `from` with only white space skipped, or -1. */
function matchAt(text: string, token: string, from: number): { at: number; length: number } | null {
  if (text.startsWith(token, from)) return { at: from, length: token.length };
  const trimmed = token.trimStart();
  if (trimmed === '') return null;
  let q = from;
  while (q < text.length && isSpace(text[q])) q++;
  return text.startsWith(trimmed, q) ? { at: q, length: trimmed.length } : null;
}

/** Where `token` next occurs within the search window after `from` (an unmatched run ends there), or -1. */
function findAhead(text: string, token: string, from: number): { at: number; length: number } | null {
  const trimmed = token.trim();
  if (trimmed === '') return null;
  const at = text.slice(from, from + SEARCH_WINDOW + trimmed.length).indexOf(trimmed);
  return at < 0 ? null : { at: from + at, length: trimmed.length };
}

/** Gives `[start, end)` to the tokens of an unmatched run: one character each, the rest to the last (empty when too few). */
function share(run: readonly number[], start: number, end: number, out: [number, number][]): void {
  let p = start;
  run.forEach((token, i) => {
    const next = i === run.length - 1 ? end : Math.min(end, p + 1);
    out[token] = [p, next];
    p = next;
  });
}

/**
 * The character range `[start, end)` of `text` each token covers, in order and without gaps (the
 * ranges tile the text), or null when the tokens do not spell the text.
 */
export function alignTokensToText(text: string, tokens: readonly string[]): [number, number][] | null {
  const out: [number, number][] = new Array(tokens.length);
  let p = 0;
  let run: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const match = token === '' ? null : run.length === 0 ? matchAt(text, token, p) : (matchAt(text, token, p + 1) ?? findAhead(text, token, p + 1));
    if (match === null) {
      if (token === '' && run.length === 0) {
        out[i] = [p, p];
        continue;
      }
      run.push(i);
      if (run.length > MAX_UNMATCHED_RUN) return null;
      continue;
    }
    if (run.length > 0) {
      share(run, p, match.at, out);
      run = [];
      out[i] = [match.at, match.at + match.length];
    } else {
      out[i] = [p, match.at + match.length]; // skipped white space goes with the token that follows it
    }
    p = match.at + match.length;
  }
  if (run.length > 0) {
    if (text.length - p > SEARCH_WINDOW) return null;
    share(run, p, text.length, out);
    p = text.length;
  }
  if (p < text.length) {
    if (text.slice(p).trim() !== '' || tokens.length === 0) return null;
    out[tokens.length - 1] = [out[tokens.length - 1][0], text.length];
  }
  return out;
}

export interface MessageTokenTexts {
  /** Per token: the characters of the message it covers, as shown. */
  texts: string[];
  /** Per token: how many of its leading characters are the renderer's role prefix (not the agent's text). */
  prefixChars: number[];
}

/**
 * The tokens of one plain-rendered message as slices of its text. `rendered` is the message's
 * text as the plain renderer writes it (`\n[role]: body`); `prefixLength` how many of its
 * characters the renderer added before the body. The leading separator is not shown.
 */
export function plainMessageTokenTexts(rendered: string, prefixLength: number, tokens: readonly string[]): MessageTokenTexts | null {
  const ranges = alignTokensToText(rendered, tokens);
  if (ranges === null) return null;
  const separator = rendered.startsWith('\n') ? 1 : 0;
  const texts: string[] = new Array(tokens.length);
  const prefixChars: number[] = new Array(tokens.length);
  for (let i = 0; i < ranges.length; i++) {
    const start = Math.max(ranges[i][0], separator);
    const end = Math.max(ranges[i][1], start);
    texts[i] = rendered.slice(start, end);
    prefixChars[i] = Math.min(end - start, Math.max(0, prefixLength - start));
  }
  return { texts, prefixChars };
}
