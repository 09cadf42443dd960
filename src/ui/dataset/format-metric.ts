/** Number formatting of the views' figures (the figures themselves all come from the core). */

/** A metric with `digits` decimals, or an em dash for an undefined one. */
export function formatMetric(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toFixed(digits);
}

/** An advantage with its sign always written (+0.1234, -0.5000), so gains and losses read apart. */
export function formatSigned(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  const text = value.toFixed(digits);
  // toFixed keeps the sign of tiny negatives (-0.0000); a zero shows no sign.
  if (Number(text) === 0) return (0).toFixed(digits);
  return value > 0 ? `+${text}` : text;
}

/** A fraction as a percentage with one decimal (0.5 → 50.0 %). */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${(value * 100).toFixed(1)} %`;
}
