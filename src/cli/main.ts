#!/usr/bin/env node
// `redis-scheduler`: inspect and operate the tasks of the module's Redis from a shell.
// Exit codes: 0 done; 1 failed (Redis unreachable, bad value, or the task asked for is not there);
// 2 the command line is wrong.
import { USAGE, readCommandLine, type CliRequest } from './args';
import { UsageError } from './duration';

const QUIET = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

async function run(request: CliRequest): Promise<number> {
  // Loaded only now: a mistyped command line is answered without loading the Redis client.
  const [{ RedisScheduler }, { COMMAND_RUNNERS }, { connect }, { serveMetrics }, { serveDashboard }, { runRebucket }] = await Promise.all([
    import('../engine/scheduler'),
    import('./commands'),
    import('./connect'),
    import('./serve-metrics'),
    import('./serve-dashboard'),
    import('./rebucket'),
  ]);
  const serving = request.command === 'serve-metrics' || request.command === 'dashboard';
  const { client, close } = await connect(request.target, serving);
  try {
    if (request.command === 'rebucket') return print(await runRebucket(client, request));
    // Never started: this engine only reads and acts on Redis; it claims nothing. A server answers
    // "Redis unreachable" within 2 s while the connection is down instead of waiting.
    const options = { keyPrefix: request.keyPrefix, allowUnknownHandlers: true, metrics: false, ...(serving ? { redisWaitMs: 2_000 } : {}) };
    const engine = new RedisScheduler(client, options, QUIET);
    if (serving) {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const server = request.command === 'dashboard' ? await serveDashboard(engine, request, log) : await serveMetrics(engine, request.host, request.port, log);
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
      return 0;
    }
    return print(await COMMAND_RUNNERS[request.command as keyof typeof COMMAND_RUNNERS](engine, request));
  } finally {
    await close();
  }
}

/** Prints a command's output; returns its exit code. */
function print(result: { output: string; exitCode: number }): number {
  process.stdout.write(`${result.output}\n`);
  return result.exitCode;
}

async function main(): Promise<void> {
  let request: CliRequest | 'help';
  try {
    request = readCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`redis-scheduler: ${err.message}\nTry "redis-scheduler --help".\n`);
    process.exitCode = 2;
    return;
  }
  if (request === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    process.exitCode = await run(request);
  } catch (err) {
    process.stderr.write(`redis-scheduler: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

void main();
