import { dismissFirstVisitHint, useFirstVisitHint } from '../../state/first-visit';
import { useScoringStore } from '../../state/scoring';

/**
 * One line on what the colours and the curve mean, above a scored trajectory, until dismissed
 * (remembered in this browser).
 */
export function FirstVisitHint({ entryKey }: { entryKey: string }) {
  const dismissed = useFirstVisitHint((s) => s.dismissed);
  const scored = useScoringStore((s) => entryKey in s.results);
  if (dismissed || !scored) return null;
  return (
    <p className="first-visit-hint" role="note" data-testid="first-visit-hint">
      <span>
        Each token is coloured by its advantage A = β·(log π<sub>θ</sub> − log π<sub>ref</sub>): <b className="hint-blue">blue</b> gained ground,{' '}
        <b className="hint-red">red</b> lost it. The curve follows the step scores and their running sum; ◆ marks the step the method finds decisive, ✗ the
        labelled mistake.
      </span>{' '}
      <button type="button" className="link-button" data-testid="first-visit-hint-dismiss" onClick={dismissFirstVisitHint} aria-label="Dismiss the hint">
        got it
      </button>
    </p>
  );
}
