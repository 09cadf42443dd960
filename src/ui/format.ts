/** Small display helpers shared by the views. */

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatReward(reward: number | undefined): string {
  if (reward === undefined) return '';
  return Number.isInteger(reward) ? String(reward) : reward.toFixed(3);
}
