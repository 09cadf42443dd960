/**
 * Which tab keeps the session, against an in-memory lock manager with the Web Locks semantics the
 * code relies on (ifAvailable, a queued request with an abort signal, steal) and Node's
 * BroadcastChannel: a second tab does not get the session; taking over makes the keeping tab save
 * and let go; a keeping tab that does not answer has the session taken and is told.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SessionOwnership, type OwnershipEvents } from '../../../../src/state/persistence/ownership';

type Callback = (lock: Lock | null) => unknown;

/** One exclusive lock name is all the code uses. */
class FakeLocks {
  private holder: { reject: (error: unknown) => void } | null = null;
  private readonly queue: (() => void)[] = [];

  request(_name: string, options: LockOptions, callback: Callback): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        const mine = { reject };
        this.holder = mine;
        void Promise.resolve(callback({ name: 'lock', mode: 'exclusive' } as Lock)).then((value) => {
          if (this.holder !== mine) return;
          this.holder = null;
          resolve(value);
          this.queue.shift()?.();
        });
      };
      if (options.steal) {
        this.holder?.reject(new DOMException('The lock was stolen.', 'AbortError'));
        return grant();
      }
      if (!this.holder) return grant();
      if (options.ifAvailable) return void Promise.resolve(callback(null)).then(resolve);
      this.queue.push(grant);
      options.signal?.addEventListener('abort', () => {
        this.queue.splice(this.queue.indexOf(grant), 1);
        reject(new DOMException('The request was aborted.', 'AbortError'));
      });
    });
  }
}

const tabs: SessionOwnership[] = [];

function tab(locks: FakeLocks | undefined, events: Partial<OwnershipEvents> = {}): SessionOwnership {
  const ownership = new SessionOwnership({ onReleaseRequested: async () => undefined, onTakenAway: () => undefined, ...events }, locks as unknown as LockManager | undefined);
  tabs.push(ownership);
  return ownership;
}

afterEach(() => {
  for (const t of tabs.splice(0)) t.close();
});

describe('SessionOwnership', () => {
  it('gives the session to the first tab only', async () => {
    const locks = new FakeLocks();
    const first = tab(locks);
    const second = tab(locks);
    expect(await first.acquireIfFree()).toBe(true);
    expect(await second.acquireIfFree()).toBe(false);
    expect([first.isOwner, second.isOwner]).toEqual([true, false]);
  });

  it('takes over: the keeping tab saves and lets go first', async () => {
    const locks = new FakeLocks();
    const order: string[] = [];
    const first = tab(locks, {
      onReleaseRequested: async () => {
        order.push('first saves');
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push('first stopped');
      },
      onTakenAway: () => order.push('first taken away'),
    });
    const second = tab(locks);
    await first.acquireIfFree();
    await second.acquireIfFree();
    await second.takeOver(5000);
    order.push('second owns');
    expect(order).toEqual(['first saves', 'first stopped', 'second owns']);
    expect([first.isOwner, second.isOwner]).toEqual([false, true]);
  });

  it('takes the session from a tab that does not answer, which is told', async () => {
    const locks = new FakeLocks();
    let takenAway = 0;
    // A frozen tab: it never finishes handing over.
    const first = tab(locks, { onReleaseRequested: () => new Promise(() => undefined), onTakenAway: () => takenAway++ });
    const second = tab(locks);
    await first.acquireIfFree();
    const started = Date.now();
    await second.takeOver(100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(takenAway).toBe(1);
    expect([first.isOwner, second.isOwner]).toEqual([false, true]);
  });

  it('lets every tab keep its session where the browser has no Web Locks', async () => {
    const only = tab(undefined);
    expect(only.coordinated).toBe(false);
    expect(await only.acquireIfFree()).toBe(true);
  });
});
