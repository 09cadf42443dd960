/**
 * What an archive may hold: a ZIP or tar of trajectory files is read entry by entry, and a small
 * file can expand to terabytes (a zip bomb) or hold millions of entries, so both are counted over
 * the whole archive, nested archives included, and reading stops with a clear error at the limit.
 */

export interface ArchiveLimits {
  /** Entries (files) in the archive, those of nested archives included. */
  maxEntries: number;
  /** Bytes the entries expand to, all together. */
  maxBytes: number;
  /** Archives inside archives (a folder of `.eval` logs zipped): how many levels deep. */
  maxDepth: number;
}

export const ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 100_000,
  maxBytes: 8 * 2 ** 30,
  maxDepth: 3,
};

/** The archive cannot be read on (truncated, damaged, over a limit): what it said before still counts. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${+(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${+(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${+(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/** The counts one archive (with what it nests) has used of its limits. */
export class ArchiveBudget {
  private entries = 0;
  private bytes = 0;

  constructor(readonly limits: ArchiveLimits = ARCHIVE_LIMITS) {}

  countEntry(): void {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      throw new ArchiveError(`holds more than ${this.limits.maxEntries} entries, the most one archive may hold (nested archives included): split it`);
    }
  }

  countBytes(count: number): void {
    this.bytes += count;
    if (this.bytes > this.limits.maxBytes) {
      throw new ArchiveError(
        `expands to more than ${formatBytes(this.limits.maxBytes)}, the most one archive may expand to (nested archives included): refused as a possible zip bomb; split it`,
      );
    }
  }
}
