// A private redis-server, a producer engine in the test process and scheduler nodes in child
// processes: what every fault scenario starts from, with one destroy() that cleans up all of it.
import { createClient } from 'redis';
import type { SchedulerOptions } from '../../../src/engine/options';
import { KeySpace } from '../../../src/engine/keys';
import { RedisScheduler } from '../../../src/engine/scheduler';
import type { RedisClient } from '../../support/redis-client';
import { NodeProcess } from '../../support/nodes';
import { RedisServerProcess } from '../../support/redis-server';
import { scanKeys } from '../../support/scan-keys';
import type { WorkerHandlerSpec, WorkerSpec } from '../../support/worker';
import { collectRuns, taskKey, type Incarnation, type PlannedTask, type TaskRun } from './task-ledger';

export const FAULT_PREFIX = 'faults';

/** Engine options every scenario starts from (short times so faults resolve within a test). */
export const BASE_OPTIONS: Partial<SchedulerOptions> = {
  keyPrefix: FAULT_PREFIX,
  concurrency: 16,
  leaseMs: 2_000,
  safetyPollMs: 1_000,
  maxRetries: 10,
  retryDelayMs: 100,
  shutdownTimeoutMs: 2_000,
};

/** What a scenario's cluster is made of. */
export interface ClusterSpec {
  redisArgs?: string[];
  options: Partial<SchedulerOptions>;
  handlers: WorkerHandlerSpec[];
}

/** Extra per-node settings (clock skew, logs, other handler behaviour...). */
export type NodeExtras = Partial<Omit<WorkerSpec, 'options'>> & { options?: Partial<SchedulerOptions> };

const QUIET = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

export class FaultCluster {
  readonly incarnations: Incarnation[] = [];
  private readonly live = new Map<string, Incarnation>();
  private readonly extrasByLabel = new Map<string, NodeExtras>();
  readonly keys = new KeySpace(FAULT_PREFIX);

  private constructor(
    readonly redis: RedisServerProcess,
    readonly client: RedisClient,
    readonly producer: RedisScheduler,
    readonly spec: ClusterSpec,
  ) {}

  /** Starts the redis-server and the producer (no node yet). */
  static async start(spec: ClusterSpec): Promise<FaultCluster> {
    const redis = await RedisServerProcess.start(spec.redisArgs ?? []);
    const client = createClient({ url: redis.url }) as RedisClient;
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await redis.destroy();
      throw err;
    }
    const producer = new RedisScheduler(client, { ...spec.options, allowUnknownHandlers: true }, QUIET);
    return new FaultCluster(redis, client, producer, spec);
  }

  /** Starts (or restarts) the node `label`; waits until it listens. */
  async startNode(label: string, extras?: NodeExtras, mayDieStarting = false): Promise<NodeProcess> {
    if (extras) this.extrasByLabel.set(label, extras);
    const { options, handlers, ...rest } = this.extrasByLabel.get(label) ?? {};
    const spec = { redisUrl: this.redis.url, options: { ...this.spec.options, ...options }, handlers: handlers ?? this.spec.handlers, clientName: label, ...rest };
    const node = await NodeProcess.start(spec, mayDieStarting);
    const incarnation: Incarnation = { label, node, startedAtMs: Date.now() };
    this.incarnations.push(incarnation);
    this.live.set(label, incarnation);
    return node;
  }

  node(label: string): NodeProcess {
    const incarnation = this.live.get(label);
    if (!incarnation) throw new Error(`no node ${label}`);
    return incarnation.node;
  }

  get labels(): string[] {
    return [...this.live.keys()];
  }

  /** kill -9 of a node; records when. */
  async killNode(label: string): Promise<Incarnation> {
    const incarnation = this.live.get(label);
    if (!incarnation) throw new Error(`no node ${label}`);
    incarnation.killedAtMs = Date.now();
    await incarnation.node.kill();
    return incarnation;
  }

  /** Restarts nodes that died by themselves (a poison pill); returns how many. */
  async restartDeadNodes(): Promise<number> {
    let restarted = 0;
    for (const [label, incarnation] of this.live) {
      if (incarnation.node.isAlive) continue;
      incarnation.killedAtMs ??= Date.now();
      // A node restarted beside a poison pill may claim it at once and die again before it reports ready.
      await this.startNode(label, undefined, true);
      restarted++;
    }
    return restarted;
  }

  /** Adds tasks through the producer engine (the test process). */
  async add(tasks: readonly PlannedTask[]): Promise<void> {
    await this.producer.addTasks(tasks.map(({ name, dueTimeMs, taskInfo }) => ({ name, dueTimeMs, taskInfo })));
  }

  runs(): TaskRun[] {
    return collectRuns(this.incarnations);
  }

  /** Scheduled (or waiting for a retry) + running tasks of these names, from the engine's getStats. */
  async pending(names: readonly string[]): Promise<number> {
    const stats = await this.producer.getStats();
    return stats.filter((s) => names.includes(s.name)).reduce((total, s) => total + s.scheduled + s.running, 0);
  }

  /** Tasks in the dead sets of these names, as taskKey()s. */
  async deadKeys(names: readonly string[]): Promise<Set<string>> {
    const dead = new Set<string>();
    for (const name of names) {
      const members = (await this.client.sendCommand(['ZRANGE', this.keys.forHandler(name).dead, '0', '-1'])) as string[];
      for (const member of members) dead.add(taskKey(name, String(member)));
    }
    return dead;
  }

  /** Every key under the prefix. */
  async scanKeys(): Promise<string[]> {
    return scanKeys(FAULT_PREFIX, [this.redis.url]);
  }

  /** Kills every node, closes the client, stops the redis-server and deletes its data. Never throws. */
  async destroy(): Promise<void> {
    for (const incarnation of this.incarnations) {
      incarnation.node.signal('SIGCONT');
      await incarnation.node.kill().catch(() => undefined);
    }
    this.live.clear();
    try {
      this.client.destroy();
    } catch {
      // already closed
    }
    await this.redis.destroy().catch(() => undefined);
  }
}

/** `count` tasks of `name`, due evenly over `spreadMs` from `startMs`. */
export function spreadTasks(name: string, count: number, startMs: number, spreadMs: number, tag = name): PlannedTask[] {
  return Array.from({ length: count }, (_, i) => ({
    name,
    taskInfo: `${tag}-${i}`,
    dueTimeMs: Math.round(startMs + (count > 1 ? (spreadMs * i) / (count - 1) : 0)),
  }));
}
