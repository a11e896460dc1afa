// A TCP proxy on 127.0.0.1 between a node and its redis-server that can drop the reply of a claim
// after Redis has run it: the lease is taken in Redis, but the node never learns it.
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
}

export class FaultProxy {
  private readonly connections = new Set<ProxiedConnection>();
  private dropArmed?: () => void;
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

  async close(): Promise<void> {
    for (const connection of this.connections) this.destroy(connection);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(downstream: net.Socket): void {
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    const connection: ProxiedConnection = { downstream, upstream, sentClaim: false };
    this.connections.add(connection);
    downstream.on('data', (data) => {
      if (data.includes(this.claimSha)) connection.sentClaim = true;
      upstream.write(data);
    });
    upstream.on('data', (data) => {
      const drop = this.dropArmed;
      if (drop && connection.sentClaim && LEASING_CLAIM_REPLY.test(data.toString('latin1'))) {
        this.dropArmed = undefined;
        this.destroy(connection);
        drop();
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
