// The command line, read with node:util parseArgs: global options, a command, its arguments.
import { parseArgs } from 'node:util';
import type { TaskState } from '../interfaces/redis_scheduler/beta/types';
import type { RedisTarget } from './connect';
import { UsageError, parseDuration } from './duration';

export const USAGE = `Usage: redis-scheduler [--url URL | --cluster URL,URL,...] [--prefix PREFIX] [--json] <command>

Commands:
  stats                                   figures of every handler name
  list <name> [--state scheduled|running|dead] [--limit N] [--cursor C]
                                          one page of tasks (default: scheduled, 100)
  get <name> <taskInfo>                   one task (exit 1 when there is none)
  retry <name> (--all | <taskInfo>...)    requeue dead tasks, due now, with fresh attempts
  purge <name> [--older-than 7d]          delete dead tasks (all, or those dead that long)
  pause <name>                            stop every node claiming tasks of <name>
  resume <name>                           let nodes claim them again
  metrics                                 the Prometheus text of the task gauges
  serve-metrics --port N [--host H]       serve it over HTTP at /metrics
  dashboard [--port 8080] [--host H] [--allow-actions] [--token T] [--metrics]
                                          the web dashboard (read-only unless --allow-actions;
                                          token also from $REDIS_SCHEDULER_DASHBOARD_TOKEN)
  rebucket --buckets N [--name NAME]...   offline: move every task of the prefix to N buckets
                                          (1-256; stop every node and producer first; --name:
                                          a name the registry lost; docs/buckets.md)

Options:
  --url URL          standalone Redis (default: $REDIS_URL, else redis://127.0.0.1:6379)
  --cluster URLS     root nodes of a Redis Cluster, comma-separated
  --prefix PREFIX    the module's keyPrefix (default: ajs:scheduler)
  --json             machine output (JSON) instead of tables
  -h, --help         this text`;

/** What one invocation asks for. */
export interface CliRequest {
  command: Command;
  target: RedisTarget;
  keyPrefix: string;
  json: boolean;
  name: string;
  /** get: the one taskInfo; retry: those to requeue (empty with --all). */
  taskInfos: string[];
  state: TaskState;
  limit: number;
  cursor?: string;
  olderThanMs?: number;
  port: number;
  host: string;
  /** dashboard: act as well as look. */
  allowActions: boolean;
  /** dashboard: the token every request must carry. */
  token?: string;
  /** dashboard: serve /metrics beside it. */
  metrics: boolean;
  /** rebucket: the new bucket count. */
  buckets: number;
  /** rebucket: names to move besides those of the registry. */
  names: string[];
}

export type Command = 'stats' | 'list' | 'get' | 'retry' | 'purge' | 'pause' | 'resume' | 'metrics' | 'serve-metrics' | 'dashboard' | 'rebucket';

/** The command's positional arguments (after the command) and the options it accepts beyond the global ones. */
const COMMANDS: Record<Command, { positionals: string; options: string[] }> = {
  stats: { positionals: '', options: [] },
  list: { positionals: '<name>', options: ['state', 'limit', 'cursor'] },
  get: { positionals: '<name> <taskInfo>', options: [] },
  retry: { positionals: '<name> [taskInfo...]', options: ['all'] },
  purge: { positionals: '<name>', options: ['older-than'] },
  pause: { positionals: '<name>', options: [] },
  resume: { positionals: '<name>', options: [] },
  metrics: { positionals: '', options: [] },
  'serve-metrics': { positionals: '', options: ['port', 'host'] },
  dashboard: { positionals: '', options: ['port', 'host', 'allow-actions', 'token', 'metrics'] },
  rebucket: { positionals: '', options: ['buckets', 'name'] },
};

const OPTIONS = {
  url: { type: 'string' },
  cluster: { type: 'string' },
  prefix: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  state: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
  'older-than': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'allow-actions': { type: 'boolean' },
  token: { type: 'string' },
  metrics: { type: 'boolean' },
  buckets: { type: 'string' },
  name: { type: 'string', multiple: true },
} as const;
/** Most buckets of a prefix (MAX_BUCKETS of src/engine/keys.ts, not imported: a usage error loads no engine code). */
const MAX_BUCKETS = 256;
const GLOBAL_OPTIONS = new Set(['url', 'cluster', 'prefix', 'json', 'help']);
const STATES: readonly string[] = ['scheduled', 'running', 'dead'];

/** Reads argv (without node and the script); returns 'help' for -h/--help. @throws UsageError */
export function readCommandLine(argv: string[], env: NodeJS.ProcessEnv): CliRequest | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('a command is required');
  if (!Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command "${command}"`);
  const spec = COMMANDS[command as Command];
  for (const option of Object.keys(values)) {
    if (!GLOBAL_OPTIONS.has(option) && !spec.options.includes(option)) throw new UsageError(`--${option} does not apply to ${command}`);
  }
  checkPositionals(command as Command, rest, values.all === true);
  return {
    command: command as Command,
    target: readTarget(values.url, values.cluster, env),
    keyPrefix: values.prefix ?? 'ajs:scheduler',
    json: values.json === true,
    name: rest[0] ?? '',
    taskInfos: rest.slice(1),
    state: readState(values.state),
    limit: readInteger(values.limit ?? '100', '--limit', 1, 10_000),
    cursor: values.cursor,
    olderThanMs: values['older-than'] === undefined ? undefined : parseDuration(values['older-than'], '--older-than'),
    port: readPort(command as Command, values.port),
    host: values.host ?? '127.0.0.1',
    allowActions: values['allow-actions'] === true,
    token: command === 'dashboard' ? readToken(values.token ?? env.REDIS_SCHEDULER_DASHBOARD_TOKEN, values.host, values['allow-actions'] === true) : undefined,
    metrics: values.metrics === true,
    buckets: command === 'rebucket' ? readInteger(required(values.buckets, '--buckets'), '--buckets', 1, MAX_BUCKETS) : 0,
    names: readNames(values.name ?? []),
  };
}

function readNames(names: string[]): string[] {
  if (names.some((name) => name === '')) throw new UsageError('--name needs a handler name');
  return names;
}

function readPort(command: Command, port: string | undefined): number {
  if (command === 'serve-metrics') return readInteger(required(port, '--port'), '--port', 0, 65_535);
  if (command === 'dashboard') return readInteger(port ?? '8080', '--port', 0, 65_535);
  return 0;
}

/** The dashboard's token; acting from other machines needs one. */
function readToken(token: string | undefined, host: string | undefined, allowActions: boolean): string | undefined {
  if (token !== undefined && token.length < 8) throw new UsageError('--token must be at least 8 characters');
  const loopback = host === undefined || /^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host);
  if (allowActions && !loopback && token === undefined) {
    throw new UsageError(`--allow-actions on --host ${host} needs --token (or $REDIS_SCHEDULER_DASHBOARD_TOKEN): anyone who reaches it could act`);
  }
  return token;
}

function checkPositionals(command: Command, rest: string[], all: boolean): void {
  const usage = `usage: redis-scheduler ${command} ${COMMANDS[command].positionals}`.trimEnd();
  const needsName = COMMANDS[command].positionals.startsWith('<name>');
  if (needsName && (rest[0] === undefined || rest[0] === '')) throw new UsageError(`${command} needs a handler name (${usage})`);
  if (command === 'get' && rest.length !== 2) throw new UsageError(`get takes a name and one taskInfo (${usage})`);
  if (command === 'retry' && all === rest.length > 1) {
    throw new UsageError(`retry takes either --all or the taskInfos to requeue (${usage} | --all)`);
  }
  const most = command === 'get' ? 2 : command === 'retry' ? Infinity : needsName ? 1 : 0;
  if (rest.length > most) throw new UsageError(`unexpected argument "${rest[most]}" (${usage})`);
}

function readTarget(url: string | undefined, cluster: string | undefined, env: NodeJS.ProcessEnv): RedisTarget {
  if (url !== undefined && cluster !== undefined) throw new UsageError('give either --url or --cluster, not both');
  if (cluster !== undefined) {
    const rootNodes = cluster.split(',').map((node) => node.trim()).filter(Boolean);
    if (rootNodes.length === 0) throw new UsageError('--cluster needs at least one root node URL');
    return { rootNodes: rootNodes.map((node) => (node.includes('://') ? node : `redis://${node}`)) };
  }
  return { url: url ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
}

function readState(state: string | undefined): TaskState {
  if (state === undefined) return 'scheduled';
  if (!STATES.includes(state)) throw new UsageError(`--state must be one of ${STATES.join(', ')}, received "${state}"`);
  return state as TaskState;
}

function readInteger(text: string, what: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new UsageError(`${what} must be an integer from ${min} to ${max}, received "${text}"`);
  return value;
}

function required(value: string | undefined, what: string): string {
  if (value === undefined) throw new UsageError(`${what} is required`);
  return value;
}
