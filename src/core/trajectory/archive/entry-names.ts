/**
 * Which files of a folder or an archive are trajectory files: by extension (JSON, JSON Lines,
 * SWE-agent `.traj`, Inspect `.eval`, archives, gzip), hidden files (`.DS_Store`, anything under
 * `.git/`, macOS's `__MACOSX/` copies in ZIPs) left out. A README or a LICENSE beside the
 * trajectories is not an error. The page's folder drop and the CLI's folder arguments use this too.
 */
const TRAJECTORY_EXTENSION = /\.(json|jsonl|ndjson|jsonlines|traj|eval|zip|tar|tgz|gz)$/i;

export function isTrajectoryPath(path: string): boolean {
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length === 0) return false;
  if (segments.some((s) => s.startsWith('.') || s === '__MACOSX')) return false;
  return TRAJECTORY_EXTENSION.test(segments[segments.length - 1]);
}
