// The driver's handle on one forked bench-node process.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BenchNodeSpec, NodeCommand, NodeEvent, RunReport } from './bench-protocol';

const START_TIMEOUT_MS = 20_000;
const REPLY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 20_000;

export class NodeProcess {
  private readonly exited: Promise<void>;
  private waiters: Array<(event: NodeEvent) => boolean> = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (event: NodeEvent) => {
      this.waiters = this.waiters.filter((waiter) => !waiter(event));
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Forks a node and waits until it listens. */
  static async start(spec: BenchNodeSpec): Promise<NodeProcess> {
    const child = fork(join(__dirname, 'bench-node.js'), [], {
      // For profiling, e.g. BENCH_NODE_ARGV="--cpu-prof --cpu-prof-dir=/tmp/bench-prof".
      execArgv: process.env.BENCH_NODE_ARGV?.split(' ').filter(Boolean) ?? [],
      env: { ...process.env, BENCH_NODE_SPEC: JSON.stringify(spec) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const node = new NodeProcess(child);
    try {
      const event = await node.next(['ready', 'error'], START_TIMEOUT_MS);
      if (event.type === 'error') throw new Error(`bench node failed to start: ${event.message}`);
    } catch (err) {
      node.kill();
      throw err;
    }
    return node;
  }

  private get isAlive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The next event of one of `types`; rejects after `timeoutMs` or when the process exits. */
  private next(types: Array<NodeEvent['type']>, timeoutMs: number): Promise<NodeEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench node: no ${types.join('/')} within ${timeoutMs} ms`)), timeoutMs);
      void this.exited.then(() => reject(new Error('bench node exited')));
      this.waiters.push((event) => {
        if (!types.includes(event.type)) return false;
        clearTimeout(timer);
        resolve(event);
        return true;
      });
    });
  }

  private async ask<T extends NodeEvent['type']>(command: NodeCommand, reply: T): Promise<Extract<NodeEvent, { type: T }>> {
    const answer = this.next([reply], REPLY_TIMEOUT_MS);
    this.child.send(command);
    return (await answer) as Extract<NodeEvent, { type: T }>;
  }

  /** Handler runs since the last report. */
  async count(): Promise<number> {
    return (await this.ask({ type: 'count' }, 'count')).count;
  }

  /** What ran since the last report. */
  async report(): Promise<RunReport> {
    return (await this.ask({ type: 'report' }, 'report')).report;
  }

  /** Graceful stop; SIGKILL if it takes too long. */
  async stop(): Promise<void> {
    if (!this.isAlive) return;
    this.child.send({ type: 'stop' } satisfies NodeCommand);
    const timer = setTimeout(() => this.kill(), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.isAlive) this.child.kill('SIGKILL');
  }
}

/** Every node process started and not yet stopped, so a failing run can kill them all. */
const live = new Set<NodeProcess>();

export async function startNodes(spec: BenchNodeSpec, count: number): Promise<NodeProcess[]> {
  const nodes = await Promise.all(Array.from({ length: count }, () => NodeProcess.start(spec)));
  for (const node of nodes) live.add(node);
  return nodes;
}

export async function stopNodes(nodes: NodeProcess[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.stop()));
  for (const node of nodes) live.delete(node);
}

export function killAllNodes(): void {
  for (const node of live) node.kill();
  live.clear();
}
