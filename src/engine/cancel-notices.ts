import type { TaskKeys } from './keys';
import type { ClaimedTask, Scripts } from './scripts';

/** After the subscriber is ready again, how long claims are still checked (its re-subscription may lag its `ready`). */
const RESUBSCRIBE_SETTLE_MS = 250;

/** Taken before a claim is sent; tells {@link CancelNotices.removedSince} whether a notice may have been lost since. */
export type NoticeMark = number;

/**
 * A running task's removal reaches its holder as a "! <claim>" message on pub/sub, and pub/sub loses
 * what is published while the subscriber connection is down. While a notice may have been lost,
 * this node asks Redis instead: a claim whose reply arrives while the subscriber is down (or after
 * it dropped since the claim was sent) is checked with renew.lua before its handlers start, and the
 * leases held here are renewed when the subscriber drops and once it is back, which reports the
 * removals it missed. While the subscriber is up, this costs nothing.
 */
export class CancelNotices {
  private drops = 0;
  private down = false;
  private settleTimer?: NodeJS.Timeout;

  /** `renewHeld`: renews every lease held here now (the renewal aborts the removed runs). */
  constructor(
    private readonly scripts: Scripts,
    private readonly leaseMs: number,
    private readonly renewHeld: () => void,
  ) {}

  /** The port's subscriber state changed (see RedisPort.onSubscriberState). */
  readonly onSubscriberState = (connected: boolean): void => {
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    if (!connected) {
      this.drops++;
      this.down = true;
      this.renewHeld();
    } else if (this.down) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = undefined;
        this.down = false;
        this.renewHeld();
      }, RESUBSCRIBE_SETTLE_MS);
    }
  };

  /** Taken just before a claim is sent. */
  mark(): NoticeMark {
    return this.drops;
  }

  /**
   * The claims among `tasks` whose task was removed since they were claimed, when a removal notice
   * may have been lost since `mark` (else none, with no round trip). A Redis error counts none: the
   * next renewal finds them.
   */
  async removedSince(mark: NoticeMark, keys: TaskKeys, tasks: ClaimedTask[]): Promise<Set<string>> {
    if (tasks.length === 0 || (!this.down && this.drops === mark)) return new Set();
    try {
      const { cancelled } = await this.scripts.renew(keys, this.leaseMs, tasks);
      return new Set(cancelled.map((task) => task.token));
    } catch {
      return new Set();
    }
  }

  /** Clears the timer (at shutdown); the next start begins with the subscriber up. */
  stop(): void {
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.down = false;
  }
}
