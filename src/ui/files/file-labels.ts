/**
 * What the page calls each open file: files are kept by the relative path a folder pick or a
 * dropped folder gave (`Algorithm-Generated/7.json`), or by name; the label is the shortest end
 * of the path that no other open file shares (`Hand-Crafted/7.json` beside `Algorithm-Generated/7.json`,
 * plain `runs.jsonl` when it is the only one). Files with the very same path are numbered in
 * opening order: `7.json`, `7.json (2)`.
 */

/** The last `count` segments of a slash-separated path. */
function tail(segments: readonly string[], count: number): string {
  return segments.slice(Math.max(0, segments.length - count)).join('/');
}

/** Labels for the files, in the same order (`names` are the files' paths or names). */
export function fileLabels(names: readonly string[]): string[] {
  const distinct = [...new Set(names)];
  const segmentsOf = new Map(distinct.map((name) => [name, name.split('/').filter((s) => s !== '')] as const));
  const labelOf = new Map<string, string>();
  for (const name of distinct) {
    const segments = segmentsOf.get(name)!;
    let label = name;
    for (let count = 1; count <= segments.length; count++) {
      const candidate = tail(segments, count);
      // Another file's path ending in the same segments (or being exactly them) would be shown alike.
      const clash = distinct.some((other) => other !== name && tail(segmentsOf.get(other)!, count) === candidate);
      if (!clash) {
        label = count === segments.length ? name : candidate;
        break;
      }
    }
    labelOf.set(name, label);
  }
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? labelOf.get(name)! : `${labelOf.get(name)!} (${n})`;
  });
}
