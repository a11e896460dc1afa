#!/usr/bin/env node
// `redis-scheduler`: inspect and operate the tasks of the module's Redis from a shell.
// Exit codes: 0 done; 1 failed (Redis unreachable, bad value, or the task asked for is not there);
// 2 the command line is wrong.
import { USAGE, readCommandLine, type CliRequest } from './args';
import { UsageError } from './duration';

const QUIET = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

async function run(request: CliRequest): Promise<number> {
  // Loaded only now: a mistyped command line is answered without loading the Redis client.
  const [{ RedisScheduler }, { COMMAND_RUNNERS }, { connect }, { serveMetrics }] = await Promise.all([
    import('../engine/scheduler'),
    import('./commands'),
    import('./connect'),
    import('./serve-metrics'),
  ]);
  const { client, close } = await connect(request.target);
  try {
    // Never started: this engine only reads and acts on Redis; it claims nothing.
    const engine = new RedisScheduler(client, { keyPrefix: request.keyPrefix, allowUnknownHandlers: true, metrics: false }, QUIET);
    if (request.command === 'serve-metrics') {
      const server = await serveMetrics(engine, request.host, request.port, (line) => process.stderr.write(`${line}\n`));
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      await new Promise((resolve) => server.close(resolve));
      return 0;
    }
    const result = await COMMAND_RUNNERS[request.command](engine, request);
    process.stdout.write(`${result.output}\n`);
    return result.exitCode;
  } finally {
    await close();
  }
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
