import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { LegacyNodeCommand, LegacyNodeEvent, LegacyNodeSpec } from './legacy-node';

/** An old node (the published scheduler, legacy-node.ts) in a child process, with what it reported. */
export class LegacyNodeProcess {
  readonly events: LegacyNodeEvent[] = [];
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (event: LegacyNodeEvent) => this.events.push(event));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Forks an old node and waits until it listens. */
  static async start(spec: LegacyNodeSpec): Promise<LegacyNodeProcess> {
    const child = fork(join(__dirname, 'legacy-node.js'), [], {
      env: { ...process.env, LEGACY_NODE_SPEC: JSON.stringify(spec) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const node = new LegacyNodeProcess(child);
    await node.waitFor((events) => events.some((e) => e.type === 'ready' || e.type === 'error'), 15_000);
    const failure = node.events.find((e) => e.type === 'error');
    if (failure?.type === 'error') throw new Error(`old node failed to start: ${failure.message}`);
    return node;
  }

  /** Handler starts reported so far. */
  get starts(): Array<Extract<LegacyNodeEvent, { type: 'start' }>> {
    return this.events.filter((e): e is Extract<LegacyNodeEvent, { type: 'start' }> => e.type === 'start');
  }

  /** Errors the node reported (a Redis error in its loop, say). */
  get errors(): string[] {
    return this.events.flatMap((e) => (e.type === 'error' ? [e.message] : []));
  }

  send(command: LegacyNodeCommand): void {
    this.child.send(command);
  }

  /** Resolves once `predicate(events)` holds; rejects after `timeoutMs`. */
  async waitFor(predicate: (events: LegacyNodeEvent[]) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (Date.now() > deadline) throw new Error(`old node: condition not met within ${timeoutMs} ms`);
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error('old node exited before the condition was met');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops the old node once its run loop is idle, and waits for the exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send({ type: 'stop' });
    await this.exited;
  }

  /** kill -9 (for cleanup). */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
