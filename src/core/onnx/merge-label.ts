/** How records, the CLI and the page name a merged reference (no imports: the page's bundle takes it alone). */
export function mergedReferenceLabel(reference: string, policy: string, alpha: number): string {
  return `${reference} merged with ${policy} (α = ${alpha}: π_ref + α·(π_θ − π_ref), linear, in weight space)`;
}
