// Shared by the cluster fault tests: a private cluster, scheduler nodes on it as processes, a
// producer in the test process, and the tally of which tasks ran how often.
import { KeySpace } from '../../src/engine/keys';
import { RedisScheduler } from '../../src/engine/scheduler';
import type { SchedulerOptions } from '../../src/engine/options';
import { NodeProcess } from '../support/nodes';
import { RedisClusterProcess } from '../support/redis-cluster';
import { connectTarget, targetFromEnv, type RedisTarget, type TestConnection } from '../support/redis-target';

/** A task's identity as the tally counts it. */
export const taskId = (name: string, taskInfo: string) => `${name}\u0000${taskInfo}`;

export class ClusterRun {
  nodes: NodeProcess[] = [];
  readonly keys: KeySpace;

  private constructor(
    readonly cluster: RedisClusterProcess,
    readonly target: RedisTarget,
    readonly connection: TestConnection,
    readonly producer: RedisScheduler,
    readonly options: Partial<SchedulerOptions>,
  ) {
    this.keys = new KeySpace(options.keyPrefix!);
  }

  /** A new cluster, and a producer on it with the client family of this run. */
  static async start(options: Partial<SchedulerOptions>): Promise<ClusterRun> {
    const cluster = await RedisClusterProcess.start();
    try {
      const target: RedisTarget = { ...targetFromEnv(), topology: 'cluster', urls: cluster.urls };
      const connection = await connectTarget(target);
      const producer = new RedisScheduler(connection.client, { ...options, allowUnknownHandlers: true }, quietLogger());
      return new ClusterRun(cluster, target, connection, producer, options);
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
  }

  /** Starts `count` scheduler nodes (processes) handling `names`, each run taking `workMs`. */
  async startNodes(count: number, names: string[], workMs: number): Promise<void> {
    const spec = { redisUrl: this.target.urls[0], target: this.target, options: this.options, handlers: names.map((name) => ({ name, workMs })) };
    this.nodes = await NodeProcess.startAll(Array.from({ length: count }, () => spec));
  }

  /** How many times each task started, over every node. */
  runCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const start of this.nodes.flatMap((node) => node.starts)) {
      const id = taskId(start.name, start.taskInfo);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  /** The port of the master that holds `name`'s keys now. */
  async masterOf(name: string): Promise<number> {
    return (await this.cluster.masterOfSlot(await this.cluster.slotOf(this.keys.forHandler(name).due))).port;
  }

  /** Kills the nodes, closes the producer's client, stops the cluster. Never throws. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill().catch(() => undefined)));
    await this.producer.stop().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
    await this.cluster.destroy();
  }
}

export function quietLogger() {
  const nothing = () => undefined;
  return { error: nothing, warn: nothing, info: nothing, debug: nothing };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
