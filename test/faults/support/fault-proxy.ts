// A TCP proxy on 127.0.0.1 between a node and its redis-server that can drop (or hold back) the reply
// of a claim after Redis has run it: the lease is taken in Redis, but the node does not learn it (yet).
// It can also cut the node's pub/sub connections and refuse new connections meanwhile.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

/** SHA1 of claim.lua, as the engine sends it with EVALSHA. */
export function claimScriptSha(): string {
  const source = readFileSync(join(__dirname, '..', '..', '..', 'src', 'engine', 'lua', 'claim.lua'), 'utf8');
  return createHash('sha1').update(source).digest('hex');
}

/** A claim reply that leased at least one task: an array of 1 + 3 × tasks elements. */
const LEASING_CLAIM_REPLY = /^\*([4-9]|\d{2,})\r\n/m;

interface ProxiedConnection {
  downstream: net.Socket;
  upstream: net.Socket;
  sentClaim: boolean;
  /** It sent SUBSCRIBE: the node's pub/sub connection. */
  subscriber: boolean;
  /** Replies held back, in order (from a held claim reply until its release). */
  held?: Buffer[];
}

/** Releases a held claim reply to the node. */
export type ReleaseReply = () => void;

export class FaultProxy {
  private readonly connections = new Set<ProxiedConnection>();
  private dropArmed?: () => void;
  private holdArmed?: (release: ReleaseReply) => void;
  private refusing = false;
  private readonly claimSha = claimScriptSha();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {
    server.on('connection', (socket) => this.pipe(socket));
  }

  static async start(targetPort: number): Promise<FaultProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FaultProxy(server, (server.address() as net.AddressInfo).port, targetPort);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Resolves once the reply of a claim that leased a task was dropped (its connection closed instead). */
  dropNextLeasingClaimReply(): Promise<void> {
    return new Promise((resolve) => {
      this.dropArmed = resolve;
    });
  }

  /** Resolves once the reply of a claim that leased a task is held back (with the function that lets it through). */
  holdNextLeasingClaimReply(): Promise<ReleaseReply> {
    return new Promise((resolve) => {
      this.holdArmed = resolve;
    });
  }

  /** Cuts the node's pub/sub connections and refuses new connections until {@link acceptConnections}. */
  cutSubscribers(): void {
    this.refusing = true;
    for (const connection of this.connections) if (connection.subscriber) this.destroy(connection);
  }

  /** Lets new connections through again. */
  acceptConnections(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    for (const connection of this.connections) this.destroy(connection);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(downstream: net.Socket): void {
    if (this.refusing) {
      downstream.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    const connection: ProxiedConnection = { downstream, upstream, sentClaim: false, subscriber: false };
    this.connections.add(connection);
    downstream.on('data', (data) => {
      if (data.includes(this.claimSha)) connection.sentClaim = true;
      if (/subscribe/i.test(data.toString('latin1'))) connection.subscriber = true;
      upstream.write(data);
    });
    upstream.on('data', (data) => {
      if (connection.held) {
        connection.held.push(data);
        return;
      }
      const leasing = connection.sentClaim && LEASING_CLAIM_REPLY.test(data.toString('latin1'));
      const drop = this.dropArmed;
      if (drop && leasing) {
        this.dropArmed = undefined;
        this.destroy(connection);
        drop();
        return;
      }
      const hold = this.holdArmed;
      if (hold && leasing) {
        this.holdArmed = undefined;
        connection.held = [data];
        hold(() => {
          for (const reply of connection.held ?? []) downstream.write(reply);
          connection.held = undefined;
        });
        return;
      }
      downstream.write(data);
    });
    for (const socket of [downstream, upstream]) {
      socket.on('error', () => this.destroy(connection));
      socket.on('close', () => this.destroy(connection));
    }
  }

  private destroy(connection: ProxiedConnection): void {
    this.connections.delete(connection);
    connection.downstream.destroy();
    connection.upstream.destroy();
  }
}
