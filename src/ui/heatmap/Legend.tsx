import { advantageColour } from './colour-scale';

/** The colour legend of the token heatmap: −range … 0 … +range, with what the colours mean. */
export function AdvantageLegend({ range }: { range: number }) {
  const stops = Array.from({ length: 11 }, (_, i) => -range + (i * range) / 5);
  return (
    <div className="legend" data-testid="heatmap-legend" aria-label={`Colour scale from −${range} to +${range}`}>
      <span className="legend-label">lost ground</span>
      <span className="legend-bar" aria-hidden="true">
        {stops.map((a) => (
          <span key={a} className="legend-swatch" style={{ background: advantageColour(a, range) }} />
        ))}
      </span>
      <span className="legend-label">gained</span>
      <span className="legend-ticks muted">
        A = β·(log π<sub>θ</sub> − log π<sub>ref</sub>): −{range} · 0 · +{range}
      </span>
    </div>
  );
}
