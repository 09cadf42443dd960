/**
 * The diverging colour scale of advantages: centred on 0, symmetric range ±R, colour-blind safe
 * (ColorBrewer's RdBu: red for lost ground, blue for gained; both readable with red-green deficiencies).
 */
import { interpolateRdBu } from 'd3';

/** Background colour for advantage `a` on the range ±range; values beyond the range saturate. */
export function advantageColour(a: number, range: number): string {
  if (!Number.isFinite(a)) return 'transparent';
  const t = Math.max(-1, Math.min(1, a / range));
  // interpolateRdBu(0) is dark red, (0.5) white, (1) dark blue.
  return interpolateRdBu(0.5 + t / 2);
}

/** Text colour that stays readable on that background. */
export function advantageTextColour(a: number, range: number): string {
  return Math.abs(a / range) > 0.6 ? '#fff' : '#111';
}
