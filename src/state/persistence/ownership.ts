/**
 * One tab at a time keeps the session: the owner holds a Web Lock for as long as it writes, and
 * other tabs on the same profile only read the saved session (they say so, and offer to take
 * over). Taking over asks the owner, over a BroadcastChannel, to save what it has and let go; an
 * owner that does not answer (a frozen tab) has the lock taken from it, and stops writing the
 * moment it notices. A tab that closes or crashes releases the lock with it.
 *
 * Without Web Locks (an old browser, an insecure origin) every tab owns its session, as before.
 */
const LOCK_NAME = 'progress-advantage-session-owner';
const CHANNEL_NAME = 'progress-advantage-session-owner';

type OwnerMessage = { kind: 'please-release'; from: string } | { kind: 'released'; from: string };

export interface OwnershipEvents {
  /** Another tab asks for the session: save what is unsaved and stop writing, then resolve. */
  onReleaseRequested(): Promise<void>;
  /** The lock was taken without asking (the owner did not answer in time): stop writing at once. */
  onTakenAway(): void;
}

export class SessionOwnership {
  private readonly tabId = Math.random().toString(36).slice(2);
  private readonly channel: BroadcastChannel | null;
  private releaseLock: (() => void) | null = null;
  private owned = false;

  constructor(
    private readonly events: OwnershipEvents,
    private readonly locks: LockManager | undefined = globalThis.navigator?.locks,
  ) {
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL_NAME) : null;
    this.channel?.addEventListener('message', (event: MessageEvent<OwnerMessage>) => {
      if (event.data?.kind === 'please-release' && event.data.from !== this.tabId && this.owned) void this.handOver();
    });
  }

  /** Whether tabs coordinate at all (Web Locks available). */
  get coordinated(): boolean {
    return this.locks !== undefined;
  }

  get isOwner(): boolean {
    return this.owned;
  }

  /** Takes the session if no other tab has it; true when this tab owns it now. */
  acquireIfFree(): Promise<boolean> {
    if (!this.locks) return Promise.resolve((this.owned = true));
    return this.request({ ifAvailable: true });
  }

  /**
   * Takes the session from the tab that has it: asks it to save and let go, and takes the lock
   * from it after `patienceMs` if it has not. Resolves when this tab owns the session.
   */
  async takeOver(patienceMs = 10_000): Promise<void> {
    if (this.owned) return;
    if (!this.locks) {
      this.owned = true;
      return;
    }
    this.channel?.postMessage({ kind: 'please-release', from: this.tabId } satisfies OwnerMessage);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), patienceMs);
    try {
      if (await this.request({ signal: controller.signal })) return;
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      clearTimeout(timer);
    }
    await this.request({ steal: true });
  }

  /** Lets go of the session (this tab stops writing first). */
  release(): void {
    this.owned = false;
    this.releaseLock?.();
    this.releaseLock = null;
    this.channel?.postMessage({ kind: 'released', from: this.tabId } satisfies OwnerMessage);
  }

  /** Stops listening to other tabs (the page is going away; tests). */
  close(): void {
    this.channel?.close();
  }

  private async handOver(): Promise<void> {
    try {
      await this.events.onReleaseRequested();
    } finally {
      this.release();
    }
  }

  /** Requests the lock and holds it until `release`; resolves with whether it was granted. */
  private request(options: LockOptions): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const held = this.locks!.request(LOCK_NAME, options, (lock) => {
        if (!lock) {
          resolve(false);
          return undefined;
        }
        this.owned = true;
        resolve(true);
        return new Promise<void>((release) => (this.releaseLock = release));
      });
      held.catch((error: unknown) => {
        // Granted and later stolen by another tab's takeOver: this tab must stop writing now.
        if (this.owned && (error as { name?: string })?.name === 'AbortError' && !options.signal?.aborted) {
          this.owned = false;
          this.releaseLock = null;
          this.events.onTakenAway();
        }
        reject(error);
      });
    });
  }
}
