import { spawn } from 'node:child_process';
import net from 'node:net';
import { RedisServerProcess } from './redis-server';

/** Args that make a redis-server a cluster node that is ready in about 2 s (see DESIGN.md section 6). */
const NODE_ARGS = [
  '--cluster-enabled', 'yes',
  '--cluster-config-file', 'nodes.conf',
  '--cluster-node-timeout', '2000',
  '--appendonly', 'no',
  '--repl-diskless-sync-delay', '0',
];

/** One node as CLUSTER NODES describes it. */
export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** For a replica, the id of its master. */
  masterId?: string;
  /** Slot ranges a master serves, e.g. [[0, 5460]]. */
  slots: Array<[number, number]>;
  failed: boolean;
}

/**
 * A private Redis Cluster for tests: 3 masters and 3 replicas, each a redis-server on a free port
 * whose cluster bus port (port + 10000) is free too, joined by `redis-cli --cluster create`.
 */
export class RedisClusterProcess {
  private constructor(readonly nodes: RedisServerProcess[]) {}

  static async start(masters = 3): Promise<RedisClusterProcess> {
    const ports = await freeClusterPorts(masters * 2);
    const nodes = await Promise.all(ports.map((port) => RedisServerProcess.start(NODE_ARGS, port)));
    const cluster = new RedisClusterProcess(nodes);
    try {
      await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes']);
      await cluster.waitUntilHealthy(20_000);
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  /** redis:// URLs of every node (masters and replicas): any of them works as a root node. */
  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  /** The node on `port`. */
  node(port: number): RedisServerProcess {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no cluster node on port ${port}`);
    return node;
  }

  /** CLUSTER NODES as seen by the first node that answers. */
  async topology(): Promise<ClusterNodeInfo[]> {
    for (const node of this.nodes.filter((n) => n.isRunning)) {
      const text = await redisCli(node.port, ['CLUSTER', 'NODES']).catch(() => undefined);
      if (text) return parseClusterNodes(text);
    }
    throw new Error('no cluster node answers');
  }

  /** The port of the master serving `slot`. */
  async masterOfSlot(slot: number): Promise<ClusterNodeInfo> {
    const master = (await this.topology()).find((n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return master;
  }

  /** The slot of a key, as the cluster computes it. */
  async slotOf(key: string): Promise<number> {
    const node = this.nodes.find((n) => n.isRunning);
    if (!node) throw new Error('no cluster node is running');
    return Number(await redisCli(node.port, ['CLUSTER', 'KEYSLOT', key]));
  }

  /** Resolves once every live node reports cluster_state:ok and every live replica is linked. */
  async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.isHealthy()) return;
      if (Date.now() > deadline) throw new Error(`the cluster was not healthy within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops every node and deletes their data. Never throws. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy().catch(() => undefined)));
  }

  private async isHealthy(): Promise<boolean> {
    try {
      const live = this.nodes.filter((n) => n.isRunning);
      for (const node of live) {
        if (!(await redisCli(node.port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok')) return false;
        const replication = await redisCli(node.port, ['INFO', 'replication']);
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
      }
      const topology = await this.topology();
      return topology.filter((n) => n.role === 'master' && !n.failed && n.slots.length > 0).length >= 3;
    } catch {
      return false;
    }
  }
}

function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.trim().split(' ');
      const port = Number(/:(\d+)@/.exec(address)?.[1]);
      return {
        id,
        port,
        role: flags.includes('master') ? 'master' : 'replica',
        masterId: masterId === '-' ? undefined : masterId,
        slots: slots.filter((s) => !s.startsWith('[')).map((s) => (s.includes('-') ? (s.split('-').map(Number) as [number, number]) : [Number(s), Number(s)])),
        failed: flags.includes('fail') && !flags.includes('fail?'),
      };
    });
}

/** Runs one redis-cli command against a node and returns its raw output. */
export function redisCli(port: number, args: string[]): Promise<string> {
  return run('redis-cli', ['-p', String(port), ...args]);
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk.toString()));
    child.stderr.on('data', (chunk) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${output}`))));
  });
}

/** `count` ports, each free along with its cluster bus port (+10000). */
async function freeClusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (ports.includes(port) || ports.includes(port + 10_000) || ports.includes(port - 10_000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) ports.push(port);
  }
  return ports;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
