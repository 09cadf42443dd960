/**
 * Token colours as shared CSS classes rather than inline styles: thousands of token elements that
 * share a few dozen classes let the browser share computed styles, which keeps layout of a long
 * heatmap cheap. 20 steps per side are finer than the eye separates on this scale; the exact value
 * stays in each token's data-advantage and tooltip.
 */
import { advantageColour, advantageTextColour } from './colour-scale';

export const STEPS_PER_SIDE = 20;

export function advantageBucket(a: number, range: number): number {
  if (!Number.isFinite(a)) return 0;
  const t = Math.max(-1, Math.min(1, a / range));
  return Math.round(t * STEPS_PER_SIDE);
}

export function advantageClass(a: number, range: number): string {
  const k = advantageBucket(a, range);
  return k < 0 ? `adv-n${-k}` : `adv-p${k}`;
}

/** The stylesheet text: one rule per bucket, coloured at the bucket's centre. */
export function advantageClassRules(): string {
  const rules: string[] = [];
  for (let k = -STEPS_PER_SIDE; k <= STEPS_PER_SIDE; k++) {
    const a = k / STEPS_PER_SIDE;
    const name = k < 0 ? `adv-n${-k}` : `adv-p${k}`;
    rules.push(`.${name}{background:${advantageColour(a, 1)};color:${advantageTextColour(a, 1)}}`);
  }
  return rules.join('\n');
}

let installed = false;

/** Adds the bucket classes to the document once (a constructed stylesheet: no inline <style>, CSP-friendly). */
export function installAdvantageClasses(doc: Document = document): void {
  if (installed || typeof CSSStyleSheet === 'undefined') return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(advantageClassRules());
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  installed = true;
}
