import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerCommand, WorkerEvent, WorkerSpec } from './worker';

/** A scheduler node running in a child process (worker.ts), with every event it reported. */
export class NodeProcess {
  readonly events: WorkerEvent[] = [];
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (event: WorkerEvent) => this.events.push(event));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /**
   * Forks a worker and waits until its scheduler is listening. With `mayDieStarting`, a worker that a
   * task killed before it could report ready (a poison pill claimed at once) is returned dead.
   */
  static async start(spec: WorkerSpec, mayDieStarting = false): Promise<NodeProcess> {
    const child = fork(join(__dirname, 'worker.js'), [], {
      env: { ...process.env, WORKER_SPEC: JSON.stringify(spec) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const node = new NodeProcess(child);
    const started = (events: WorkerEvent[]) => events.some((e) => e.type === 'ready' || e.type === 'error');
    try {
      // Generous: several workers may start at once on a busy machine (a cluster client discovers its nodes first).
      await node.waitFor((events) => started(events) || (mayDieStarting && !node.isAlive), 30_000);
    } catch (err) {
      await node.kill();
      throw err;
    }
    const failure = node.events.find((e) => e.type === 'error');
    if (failure && failure.type === 'error') throw new Error(`worker failed to start: ${failure.message}`);
    return node;
  }

  /** Starts one worker per spec; if any fails to start, kills the others (none is left behind) and throws. */
  static async startAll(specs: WorkerSpec[]): Promise<NodeProcess[]> {
    const results = await Promise.allSettled(specs.map((spec) => NodeProcess.start(spec)));
    const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await Promise.all(started.map((node) => node.kill()));
      throw failure.reason;
    }
    return started;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get isAlive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Handler starts reported so far. */
  get starts(): Array<Extract<WorkerEvent, { type: 'start' }>> {
    return this.events.filter((e): e is Extract<WorkerEvent, { type: 'start' }> => e.type === 'start');
  }

  /** Handler ends reported so far. */
  get dones(): Array<Extract<WorkerEvent, { type: 'done' }>> {
    return this.events.filter((e): e is Extract<WorkerEvent, { type: 'done' }> => e.type === 'done');
  }

  send(command: WorkerCommand): void {
    this.child.send(command);
  }

  /** Resolves once `predicate(events)` holds; rejects after `timeoutMs`. */
  async waitFor(predicate: (events: WorkerEvent[]) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      if (!this.isAlive && !predicate(this.events)) throw new Error('worker exited before the condition was met');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Graceful stop through the scheduler's stop(); waits for the process to exit. */
  async stop(): Promise<void> {
    if (!this.isAlive) return;
    this.send({ type: 'stop' });
    await this.exited;
  }

  /** Exit code once exited (null while alive or when ended by a signal). */
  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** Signal that ended the process, if one did. */
  get signalCode(): NodeJS.Signals | null {
    return this.child.signalCode;
  }

  /** Sends a signal (e.g. SIGSTOP / SIGCONT to pause and resume the node). */
  signal(signal: NodeJS.Signals): void {
    if (this.isAlive) this.child.kill(signal);
  }

  /** Asks the worker to stop (stop() + closing its client) without waiting for the exit. */
  requestStop(): void {
    if (this.isAlive) this.send({ type: 'stop' });
  }

  /** Resolves to whether the process exited within `timeoutMs` (it is left running otherwise). */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (!this.isAlive) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.exited.then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** kill -9. */
  async kill(): Promise<void> {
    if (!this.isAlive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Resolves once `condition()` holds; rejects after `timeoutMs` with `what` in the message. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
