/** The connection events of a node-redis client (4 to 6) that tell when it opens a socket. */
export interface ConnectionEvents {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Whether a node-redis client (4 to 6) is opening a socket: from its connect() call or a
 * `reconnecting` event until `connect` (the socket is up) or `error` (that attempt failed).
 * Inside that window destroy() / disconnect() find no socket to end: the socket connects a moment
 * later, the client carries on (ready, and subscribed again) with isOpen false, and nothing can
 * close it any more: the connection stays until the process exits. Outside it they end it for good.
 */
export class SocketOpening {
  private opening = true;
  private readonly waiters: Array<() => void> = [];

  /** Create it before calling the client's connect(). */
  constructor(client: ConnectionEvents) {
    client.on('reconnecting', () => {
      this.opening = true;
    });
    for (const event of ['connect', 'error', 'end']) client.on(event, this.settle);
  }

  /**
   * Resolves once no socket is being opened: at once, or when the attempt under way connected or
   * failed (bounded by the client's connectTimeout, 5 s by default).
   */
  passed(): Promise<void> {
    if (!this.opening) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private readonly settle = (): void => {
    this.opening = false;
    for (const resolve of this.waiters.splice(0)) resolve();
  };
}
