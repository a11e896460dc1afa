// The provider's one shared client and what GetClient() waits for: each call waits at most
// connectTimeoutMs for the first connection, and rejects at once when Redis refused it (credentials,
// certificate). A refused client is closed; the next call opens a new one, so a fixed server is
// picked up without a restart and nothing retries in a loop meanwhile.
import { openClient, type OpenedClient, type ProviderClient } from './client-factory';
import type { NodeConfig, ResolvedConfig } from './config';
import { ConnectError, refusalOf } from './connect-errors';
import { Redactor, redactUrl, urlPassword } from './redact';

/** Where the provider's log lines go (already scrubbed of secrets). */
export interface ProviderLog {
  info(message: string): void;
  error(message: string): void;
}

/** One opened client and what is known of its first connection. */
interface Attempt {
  opened: OpenedClient;
  state: 'connecting' | 'up' | 'refused' | 'closed';
  lastError?: Error;
  /** Settles with the first connection: the client, or a ConnectError for a refusal. */
  outcome: Promise<ProviderClient>;
}

function nodesOf(config: ResolvedConfig): NodeConfig[] {
  return config.kind === 'standalone' ? [config.node] : config.cluster.rootNodes.map((node) => ({ ...config.shared, ...node }));
}

/** The login user a config names, for error messages: the URL's or the field's, else Redis's `default`. */
function userOf(node: NodeConfig): string {
  const fromUrl = new URL(node.url).username;
  return fromUrl === '' ? (node.username ?? 'default') : decodeURIComponent(fromUrl);
}

export class Connection {
  private attempt?: Attempt;
  private readonly redactor: Redactor;
  /** Redacted URL(s) of the target, for log lines and errors. */
  readonly target: string;
  private readonly user: string;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly log: ProviderLog,
  ) {
    const nodes = nodesOf(config);
    this.redactor = new Redactor(nodes.flatMap((node) => [node.password, urlPassword(node.url)]));
    const urls = nodes.map((node) => redactUrl(node.url)).join(', ');
    this.target = config.kind === 'cluster' ? `cluster ${urls}` : urls;
    this.user = userOf(nodes[0]);
  }

  /** The connected client; see the file header for how long it waits and when it rejects. */
  get(): Promise<ProviderClient> {
    if (this.attempt === undefined || this.attempt.state === 'refused') this.attempt = this.open();
    const attempt = this.attempt;
    if (attempt.state === 'up') return Promise.resolve(attempt.opened.client);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.timeoutError(attempt)), this.config.connectTimeoutMs);
      attempt.outcome.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }

  /** Closes the client, if one was opened. */
  async close(): Promise<void> {
    const attempt = this.attempt;
    this.attempt = undefined;
    if (attempt === undefined) return;
    const wasUp = attempt.state === 'up';
    attempt.state = 'closed';
    if (wasUp) await attempt.opened.close();
    else await attempt.opened.close().catch(() => undefined);
  }

  private open(): Attempt {
    const attempt = {} as Attempt;
    attempt.state = 'connecting';
    attempt.opened = openClient(this.config, {
      onError: (err) => {
        attempt.lastError = err;
        this.log.error(this.scrub(`${this.target}: ${describeError(err)}`));
      },
    });
    attempt.outcome = attempt.opened.connected.then(
      () => {
        attempt.state = 'up';
        this.log.info(`connected to ${this.target}`);
        return attempt.opened.client;
      },
      async (err: unknown) => {
        if (attempt.state === 'closed') throw new ConnectError(`redis provider: closed before connecting to ${this.target}`);
        attempt.state = 'refused';
        await attempt.opened.close().catch(() => undefined);
        const error = this.refusalError(err);
        this.log.error(error.message);
        throw error;
      },
    );
    attempt.outcome.catch(() => undefined); // reaches GetClient() callers
    return attempt;
  }

  private refusalError(err: unknown): ConnectError {
    const refusal = refusalOf(err);
    const cause = this.scrub(describeError(err));
    if (refusal === 'credentials') {
      return new ConnectError(
        `redis provider: Redis refused the login of user "${this.user}" at ${this.target} (${cause}). ` +
          'Check "username" and "password" (or the URL\'s user:password, percent-encoded) and the user\'s ACL.',
        refusal,
      );
    }
    if (refusal === 'certificate') {
      return new ConnectError(
        `redis provider: TLS with ${this.target} failed (${cause}). Check "tls.ca"/"tls.caFile" (the CA that signed the ` +
          'server\'s certificate), "tls.servername", and "tls.cert"/"tls.key" when the server asks for a client certificate.',
        refusal,
      );
    }
    return new ConnectError(`redis provider: could not connect to ${this.target} (${cause})`);
  }

  private timeoutError(attempt: Attempt): ConnectError {
    const last = attempt.lastError ? `; last error: ${this.scrub(describeError(attempt.lastError))}` : '';
    return new ConnectError(
      `redis provider: no connection to ${this.target} within ${this.config.connectTimeoutMs} ms (connectTimeoutMs)${last}. Still retrying.`,
    );
  }

  private scrub(text: string): string {
    return this.redactor.scrub(text);
  }
}

/** The message, with the error code when the message lacks it (e.g. ECONNREFUSED on an AggregateError). */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const message = err.message || (err instanceof AggregateError ? err.errors.map((e) => describeError(e)).join('; ') : err.name);
  // OpenSSL messages carry newlines; one line reads better in a log.
  const oneLine = message.replace(/\s+/g, ' ').trim();
  return code && !oneLine.includes(code) ? `${oneLine} (${code})` : oneLine;
}
