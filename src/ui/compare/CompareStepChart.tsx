import type { PairedStep } from '../../core/compare';
import { stepChartGeometry } from './compare-model';
import { useElementWidth } from '../curve/use-element-width';

const HEIGHT = 160;
const fmt = (v: number | null) => (v === null ? '—' : v.toFixed(4));

/** Both scorings' step scores on one chart: two series, a legend, each point titled with its message and value. */
export function CompareStepChart({ series, decisiveA, decisiveB }: { series: readonly PairedStep[]; decisiveA: number | null; decisiveB: number | null }) {
  const [ref, measured] = useElementWidth<HTMLDivElement>(600);
  const width = Math.max(240, measured);
  const chart = stepChartGeometry(series, width, HEIGHT);
  return (
    <figure className="compare-chart" data-testid="compare-chart" aria-label="Step scores of scoring A and scoring B">
      <div ref={ref} className="compare-chart-frame">
        <svg width={chart.width} height={chart.height} role="img" aria-label={`Step scores from ${chart.min.toFixed(3)} to ${chart.max.toFixed(3)}`}>
          <line className="compare-zero" x1={0} x2={chart.width} y1={chart.zeroY} y2={chart.zeroY} />
          <text className="compare-axis-label" x={2} y={10}>
            {chart.max.toFixed(3)}
          </text>
          <text className="compare-axis-label" x={2} y={chart.height - 2}>
            {chart.min.toFixed(3)}
          </text>
          {chart.ticks.map((t) => (
            <line key={t.message} className="compare-tick" x1={t.x} x2={t.x} y1={chart.zeroY - 3} y2={chart.zeroY + 3} />
          ))}
          <path className="compare-line compare-line-a" d={chart.pathA} data-testid="compare-series-a" />
          <path className="compare-line compare-line-b" d={chart.pathB} data-testid="compare-series-b" />
          {chart.pointsA.map((p) => (
            <circle key={`a${p.message}`} className={`compare-point-a${p.message === decisiveA ? ' compare-decisive' : ''}`} cx={p.x} cy={p.y} r={p.message === decisiveA ? 5 : 3} data-testid="compare-point-a" data-message={p.message} data-value={p.value}>
              <title>{`A · message ${p.message}: ${fmt(p.value)}`}</title>
            </circle>
          ))}
          {chart.pointsB.map((p) => (
            <rect key={`b${p.message}`} className={`compare-point-b${p.message === decisiveB ? ' compare-decisive' : ''}`} x={p.x - 3} y={p.y - 3} width={6} height={6} data-testid="compare-point-b" data-message={p.message} data-value={p.value}>
              <title>{`B · message ${p.message}: ${fmt(p.value)}`}</title>
            </rect>
          ))}
        </svg>
      </div>
      <figcaption className="compare-legend" data-testid="compare-chart-legend">
        <span className="compare-key compare-key-a">● A</span> <span className="compare-key compare-key-b">■ B</span>
        <span className="muted"> step scores by action step (x: steps in message order, y: score; a larger mark is that scoring's decisive step)</span>
      </figcaption>
    </figure>
  );
}
