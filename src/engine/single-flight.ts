/**
 * Runs an async job at most once at a time. A request made while it runs schedules exactly one
 * more run after it, so bursts of requests coalesce into batches instead of piling up.
 * A request made while idle starts the job once the current burst of promise callbacks is over
 * (process.nextTick runs after the microtask queue drains), so every request of one burst (say 16
 * handlers settling together) lands in the same run, and the commands of the jobs started then
 * share one socket write.
 * The job must not reject (it logs its own errors).
 */
export class SingleFlight {
  private inFlight?: Promise<void>;
  private starting?: Promise<void>;
  private requested = false;

  constructor(private readonly job: () => Promise<void>) {}

  /** Starts the job once this burst of callbacks is over, or once more after the current run. */
  request(): void {
    if (this.inFlight) {
      this.requested = true;
      return;
    }
    this.starting ??= new Promise<void>((resolve) =>
      process.nextTick(() => {
        this.starting = undefined;
        this.startNow();
        resolve();
      }),
    );
  }

  private startNow(): void {
    if (this.inFlight) {
      this.requested = true;
      return;
    }
    this.inFlight = this.job().finally(() => {
      this.inFlight = undefined;
      if (this.requested) {
        this.requested = false;
        this.startNow();
      }
    });
  }

  /** Resolves when no run is in flight, starting or requested. */
  async settled(): Promise<void> {
    while (this.inFlight || this.starting) await (this.inFlight ?? this.starting);
  }
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects, leaves no timer. */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
