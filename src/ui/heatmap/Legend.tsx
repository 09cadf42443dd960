import { advantageColour } from './colour-scale';
import { methodLabel, TOKEN_COLOUR_LABEL } from '../../core/advantage';
import { useAnalysisStore } from '../../state/analysis';

/** The colour legend of the token heatmap: −range … 0 … +range, with what the colours mean. */
export function AdvantageLegend({ range, fitted = false }: { range: number; fitted?: boolean }) {
  const stops = Array.from({ length: 11 }, (_, i) => -range + (i * range) / 5);
  return (
    <div className="legend" data-testid="heatmap-legend" data-range={range} data-fitted={fitted} aria-label={`Colour scale from −${range} to +${range}${fitted ? ', fitted to the scores shown' : ''}`}>
      <span className="legend-label">lost ground</span>
      <span className="legend-bar" aria-hidden="true">
        {stops.map((a) => (
          <span key={a} className="legend-swatch" style={{ background: advantageColour(a, range) }} />
        ))}
      </span>
      <span className="legend-label">gained</span>
      <MethodCaption />
      <span className="legend-ticks muted">
        −{range} · 0 · +{range}
        {fitted && <span title="The range is fitted to this trajectory: the 95th percentile of |A|, rounded (settings: colours)"> (fitted)</span>}
      </span>
    </div>
  );
}

/** What the colours are (always the token advantage) and, under a baseline method, what the step scores are. */
function MethodCaption() {
  const { method, mode } = useAnalysisStore((s) => s.evaluation);
  const steps = methodLabel(method, mode);
  return (
    <span className="legend-method muted" data-testid="heatmap-legend-method" data-method={method}>
      token colour: {TOKEN_COLOUR_LABEL.formula}
      {method !== 'progress' || mode !== 'difference' ? ` · step scores: ${steps.name} (${steps.formula})` : ''}
    </span>
  );
}
