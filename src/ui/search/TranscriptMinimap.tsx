/**
 * A strip beside a long transcript marking where its strongest tokens are: the MINIMAP_MARKS most
 * negative (red) and most positive (blue) advantages, placed by their position among all its scored
 * tokens. A click shows the token in the transcript (its step chosen, the token marked).
 */
import { useMemo } from 'react';
import { strongestTokens, type MinimapMark } from '../../core/search';
import type { ScoreStep } from '../../core/scores/format';
import { selectStep, selectTokenRange } from '../../state/analysis';
import './search.css';

export const MINIMAP_MARKS = 10;
/** Transcripts with fewer scored tokens than this are short enough to read without one. */
export const MINIMAP_MIN_TOKENS = 100;

export function TranscriptMinimap({ entryKey, steps, beta }: { entryKey: string; steps: readonly ScoreStep[]; beta: number }) {
  const tokens = useMemo(() => steps.reduce((n, s) => n + s.policy.length, 0), [steps]);
  const { negative, positive } = useMemo(() => strongestTokens(steps, beta, MINIMAP_MARKS), [steps, beta]);
  if (tokens < MINIMAP_MIN_TOKENS) return null;
  const show = (mark: MinimapMark) => {
    selectStep({ key: entryKey, message: mark.message });
    selectTokenRange({ key: entryKey, message: mark.message, start: mark.index, end: mark.index + 1 });
  };
  const marks = (list: readonly MinimapMark[], sign: 'negative' | 'positive') =>
    list.map((mark, rank) => (
      <button
        key={`${sign}-${mark.message}-${mark.index}`}
        type="button"
        className={`minimap-mark ${sign}`}
        data-testid="minimap-mark"
        data-sign={sign}
        data-message={mark.message}
        data-index={mark.index}
        data-advantage={mark.A}
        // Neighbouring tokens overlap: the stronger mark lies on top, where a click reaches it.
        style={{ top: `${(mark.position * 100).toFixed(3)}%`, zIndex: MINIMAP_MARKS - rank }}
        title={`A = ${mark.A.toFixed(3)}: message ${mark.message}, token ${mark.index + 1}`}
        aria-label={`${sign === 'negative' ? 'strong loss' : 'strong gain'}, A = ${mark.A.toFixed(3)}, message ${mark.message}, token ${mark.index + 1}`}
        onClick={() => show(mark)}
      />
    ));
  return (
    <div className="transcript-minimap" data-testid="transcript-minimap" aria-label="Strongest tokens of this trajectory">
      {marks(negative, 'negative')}
      {marks(positive, 'positive')}
    </div>
  );
}
