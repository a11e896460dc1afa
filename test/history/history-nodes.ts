// The engine instances of one sequence: their handlers record every run; they can be started,
// stopped, crashed (connections cut for good, handlers dead, no hand-back) and have a connection killed.
import { RedisScheduler, type SchedulerLogger, type TaskContext } from '../../src/engine/scheduler';
import type { RedisClient } from '../support/redis-client';
import type { SchedulerOptions } from '../../src/engine/options';
import { NODE_COUNT, type Behaviour } from './ops';

/** One handler run, as the history records it. */
export interface RunRecord {
  task: string;
  /** which node slot, and which life of that slot (a crashed node comes back as a new incarnation) */
  node: number;
  incarnation: string;
  attempt: number;
  /** context.dueTimeMs */
  dueTimeMs: number;
  /** Redis TIME read as the handler started */
  startRedisMs: number;
  /** this process's monotonic clock (every node runs in it) */
  startAt: number;
  endAt?: number;
  outcome?: 'ok' | 'fail' | 'aborted' | 'crashed';
  /** the signal fired: when, and why */
  signalAt?: number;
  signalReason?: string;
}

/** Settings of every node of a sequence: short, so a sequence takes about a second. */
export const NODE_OPTIONS: Partial<SchedulerOptions> = {
  leaseMs: 800,
  maxRetries: 1,
  retryDelayMs: 20,
  safetyPollMs: 100,
  shutdownTimeoutMs: 100,
  concurrency: 4,
  allowUnknownHandlers: true,
};

/** The bucket count the checker's nodes use: HISTORY_BUCKETS (or `--buckets N` of the CLI), default 1. */
export function historyBuckets(): number {
  return Number(process.env.HISTORY_BUCKETS ?? 1);
}
export const HANDLER_NAME = 'job';

/** A warning or error an engine logged. */
export interface LogRecord {
  at: number;
  incarnation: string;
  text: string;
}

interface Incarnation {
  id: string;
  client: RedisClient;
  engine: RedisScheduler;
  crashed: boolean;
  /** fires when the node crashes: its handlers die at once */
  death: AbortController;
}

/** The nodes of one sequence, over one Redis. */
export class HistoryNodes {
  readonly runs: RunRecord[] = [];
  readonly logs: LogRecord[] = [];
  /** behaviour per attempt of each task, as its last add set it */
  readonly plans = new Map<string, Behaviour[]>();
  private readonly slots: Array<Incarnation | undefined> = new Array(NODE_COUNT).fill(undefined);
  /** the incarnation of each slot as it is being created (one at a time: concurrent calls share it) */
  private readonly creating: Array<Promise<Incarnation> | undefined> = new Array(NODE_COUNT).fill(undefined);
  /** crashed incarnations, kept until the end to release what they hold */
  private readonly dead: Incarnation[] = [];
  private incarnations = 0;
  /** start()/stop() calls not awaited by the op (so that they race), awaited before the checks */
  private readonly pending: Array<Promise<unknown>> = [];

  constructor(
    private readonly keyPrefix: string,
    private readonly admin: RedisClient,
  ) {}

  /** The node of a slot, created (and its client connected) if the slot is empty or crashed. */
  async node(slot: number): Promise<RedisScheduler> {
    this.creating[slot] ??= this.incarnate(slot).then((incarnation) => {
      this.slots[slot] = incarnation;
      return incarnation;
    });
    return (await this.creating[slot]).engine;
  }

  start(slot: number): void {
    this.pending.push(this.node(slot).then((engine) => engine.start()));
  }

  stop(slot: number): void {
    const current = this.slots[slot];
    if (current) this.pending.push(current.engine.stop());
  }

  /** Cuts every connection of the node for good; its handlers end on the spot; nothing is handed back. */
  async crash(slot: number): Promise<void> {
    const victim = this.slots[slot];
    if (!victim) return;
    this.slots[slot] = undefined;
    this.creating[slot] = undefined;
    victim.crashed = true;
    // a reconnection already under way (after a CLIENT KILL) still lands: cut again until none is left
    for (let pass = 0; pass < 4; pass++) {
      await this.killConnections(victim.id, () => true);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    victim.death.abort();
    this.dead.push(victim);
  }

  /** CLIENT KILL of the node's command or subscriber connection; node-redis reconnects. */
  async kill(slot: number, connection: 'commands' | 'subscriber'): Promise<void> {
    const current = this.slots[slot];
    if (current) await this.killConnections(current.id, (flags) => flags.includes('P') === (connection === 'subscriber'));
  }

  /** Starts every slot (restarting crashed ones) and waits for the start/stop calls made so far. */
  async startAll(): Promise<void> {
    for (let slot = 0; slot < NODE_COUNT; slot++) this.start(slot);
    await this.settle();
  }

  async settle(): Promise<void> {
    await Promise.allSettled(this.pending.splice(0));
  }

  /** Whether a handler still runs on a live node. */
  get busy(): boolean {
    return this.runs.some((run) => run.endAt === undefined);
  }

  /** Stops every node, crashed ones too, and returns what each live one left behind (should be nothing). */
  async stopAll(): Promise<string[]> {
    await this.settle();
    const live = this.slots.filter((s): s is Incarnation => s !== undefined);
    await Promise.all([...live, ...this.dead].map((s) => s.engine.stop()));
    const leftovers: string[] = [];
    for (const incarnation of live) {
      // a connection closed a moment ago may still be listed: give the server a few polls
      let connections = await this.connectionsOf(incarnation.id);
      for (let poll = 0; poll < 75 && connections.length !== 1; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        connections = await this.connectionsOf(incarnation.id);
      }
      if (connections.length !== 1) leftovers.push(`${incarnation.id}: ${connections.length} connections after stop (1 expected: the caller's)`);
      leftovers.push(...engineLeftovers(incarnation));
    }
    await Promise.all([...live, ...this.dead].map((s) => (s.client.isOpen ? s.client.close() : undefined)));
    return leftovers;
  }

  private async incarnate(slot: number): Promise<Incarnation> {
    const id = `${this.keyPrefix}/n${slot}.${++this.incarnations}`;
    const incarnation = { id, crashed: false, death: new AbortController() } as Incarnation;
    // a duplicate of the admin client connects much faster than a client created from the URL
    const client = this.admin.duplicate({ name: id, socket: { reconnectStrategy: () => (incarnation.crashed ? false : 20) } }) as RedisClient;
    client.on('error', () => undefined);
    await client.connect();
    incarnation.client = client;
    const record = (...args: unknown[]) => this.logs.push({ at: performance.now(), incarnation: id, text: args.map(String).join(' ') });
    const log: SchedulerLogger = { error: record, warn: record, info: () => undefined, debug: () => undefined };
    incarnation.engine = new RedisScheduler(client, { ...NODE_OPTIONS, buckets: historyBuckets(), keyPrefix: this.keyPrefix }, log);
    incarnation.engine.setHandler(HANDLER_NAME, (taskInfo: string, context: TaskContext) => this.handle(slot, incarnation, taskInfo, context));
    return incarnation;
  }

  private async handle(slot: number, incarnation: Incarnation, taskInfo: string, context: TaskContext): Promise<void> {
    const run: RunRecord = {
      task: taskInfo,
      node: slot,
      incarnation: incarnation.id,
      attempt: context.attempt,
      dueTimeMs: context.dueTimeMs,
      startRedisMs: NaN,
      startAt: performance.now(),
    };
    this.runs.push(run);
    const behaviour = this.plans.get(taskInfo)?.[context.attempt - 1] ?? 'ok';
    const signal = context.signal;
    signal.addEventListener('abort', () => {
      run.signalAt = performance.now();
      run.signalReason = String((signal.reason as Error)?.message ?? signal.reason);
    });
    try {
      run.startRedisMs = await redisNowMs(this.admin);
      const leaseMs = NODE_OPTIONS.leaseMs!;
      // even 'ok' takes a moment, so that a removal's pub/sub message reaches a run that began just before it
      const workMs = { ok: 20, fail: 5, long: 1.4 * leaseMs, hang: 2 * leaseMs }[behaviour];
      await sleepUnless(workMs, signal, incarnation.death.signal);
      if (incarnation.death.signal.aborted) {
        run.outcome = 'crashed';
        run.endAt = performance.now();
        await new Promise(() => undefined); // a dead process's handler never returns
      }
      run.outcome = signal.aborted ? 'aborted' : behaviour === 'fail' ? 'fail' : 'ok';
      if (run.outcome === 'fail') throw new Error('planned failure');
    } finally {
      run.endAt ??= performance.now();
    }
  }

  private async connectionsOf(id: string): Promise<Array<{ id: string; flags: string }>> {
    const list = String(await this.admin.sendCommand(['CLIENT', 'LIST']));
    return list
      .split('\n')
      .filter((line) => line.includes(` name=${id} `))
      .map((line) => ({ id: /\bid=(\d+)/.exec(line)![1], flags: /\bflags=(\S+)/.exec(line)![1] }));
  }

  private async killConnections(id: string, which: (flags: string) => boolean): Promise<void> {
    for (const connection of await this.connectionsOf(id)) {
      if (which(connection.flags)) await this.admin.sendCommand(['CLIENT', 'KILL', 'ID', connection.id]);
    }
  }
}

/** Timers an engine still holds after stop() (white-box: the engine has no public view of them). */
function engineLeftovers(incarnation: Incarnation): string[] {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const engine = incarnation.engine as any;
  const timers: Record<string, unknown> = {
    wakeTimer: engine.loop.wakeTimer,
    renewTimer: engine.runner.renewTimer,
    ackRetryTimer: engine.runner.ackRetryTimer,
  };
  const left = Object.entries(timers)
    .filter(([, timer]) => timer !== undefined && (timer as NodeJS.Timeout).hasRef?.())
    .map(([name]) => `${incarnation.id}: ${name} still armed after stop`);
  if (engine.isListening) left.push(`${incarnation.id}: still listening after stop`);
  return left;
}

export async function redisNowMs(client: RedisClient): Promise<number> {
  const [seconds, micros] = (await client.sendCommand(['TIME'])) as string[];
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

/** Waits `ms`, or less if either signal fires. */
function sleepUnless(ms: number, ...signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((s) => s.aborted)) return resolve();
    const done = () => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of signals) s.addEventListener('abort', done);
  });
}
