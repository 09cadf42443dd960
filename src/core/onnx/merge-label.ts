/** How records, the CLI and the page name a merged reference (no imports: the page's bundle takes it alone). */
export function mergedReferenceLabel(reference: string, policy: string, alpha: number, method: 'linear' | 'ties' = 'linear', density?: number): string {
  const how = method === 'linear' ? 'π_ref + α·(π_θ − π_ref), linear' : `π_ref + α·TIES(π_θ − π_ref) keeping the largest ${density} of each tensor's task vector`;
  return `${reference} merged with ${policy} (α = ${alpha}: ${how}, in weight space)`;
}
