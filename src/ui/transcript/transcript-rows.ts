/**
 * The transcript as rows for the virtualizer: whole message cards for unscored messages, and the
 * tokens of each scored step cut into rows of at most TOKENS_PER_ROW, so a 100,000-token
 * trajectory never puts more than a few hundred token elements in the page.
 */
import type { ScoreStep } from '../../core/scores/format';

export const TOKENS_PER_ROW = 120;
/** Prefer to end a row just after a newline token within this many tokens of the limit. */
const NEWLINE_SLACK = 40;

export type TranscriptRow =
  | { kind: 'message'; message: number }
  | { kind: 'tokens'; message: number; start: number; end: number; first: boolean; last: boolean };

export function tokenRowBounds(tokens: readonly string[], perRow = TOKENS_PER_ROW): [number, number][] {
  const bounds: [number, number][] = [];
  let start = 0;
  while (start < tokens.length) {
    let end = Math.min(tokens.length, start + perRow);
    if (end < tokens.length) {
      for (let i = end - 1; i >= end - NEWLINE_SLACK && i > start; i--) {
        if (tokens[i].includes('\n')) {
          end = i + 1;
          break;
        }
      }
    }
    bounds.push([start, end]);
    start = end;
  }
  return bounds;
}

/** Token texts of a step (ids or positions when the record carries no texts). */
export function stepTokenTexts(step: ScoreStep): string[] {
  return step.tokens ?? step.tokenIds?.map((id) => `⟨${id}⟩`) ?? step.policy.map((_, i) => `⟨${i}⟩`);
}

/** `shownTexts` gives the texts a step's tokens show (the message's own text in plain mode): rows end after their newlines. */
export function transcriptRows(
  messageCount: number,
  scoredSteps: ReadonlyMap<number, ScoreStep>,
  perRow = TOKENS_PER_ROW,
  shownTexts?: (message: number) => readonly string[] | undefined,
): TranscriptRow[] {
  const rows: TranscriptRow[] = [];
  for (let message = 0; message < messageCount; message++) {
    const step = scoredSteps.get(message);
    if (!step || step.policy.length === 0) {
      rows.push({ kind: 'message', message });
      continue;
    }
    const bounds = tokenRowBounds(shownTexts?.(message) ?? stepTokenTexts(step), perRow);
    bounds.forEach(([start, end], i) => rows.push({ kind: 'tokens', message, start, end, first: i === 0, last: i === bounds.length - 1 }));
  }
  return rows;
}

/** The first and last rows that match (rows of one message are contiguous), or null when none does. */
export function rowSpanOf(rows: readonly TranscriptRow[], matches: (row: TranscriptRow) => boolean): { first: number; last: number } | null {
  const first = rows.findIndex(matches);
  if (first < 0) return null;
  let last = first;
  while (last + 1 < rows.length && matches(rows[last + 1])) last++;
  return { first, last };
}

/** How a token's text is shown: as is, or with whitespace made visible. */
export function displayTokenText(text: string, showWhitespace: boolean): string {
  if (!showWhitespace) return text;
  return text.replace(/ /g, '·').replace(/\t/g, '→').replace(/\r/g, '␍').replace(/\n/g, '↵\n');
}
