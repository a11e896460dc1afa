// Reads and resets the private redis-server's figures (INFO) between and around scenarios.
import { createClient } from 'redis';
import type { RedisClient } from '../test/support/redis-client';

export type AdminClient = RedisClient;

export async function connectAdmin(redisUrl: string): Promise<AdminClient> {
  const client: AdminClient = createClient({ url: redisUrl });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** One INFO section as field -> value. */
export async function infoSection(client: AdminClient, section: string): Promise<Map<string, string>> {
  const text = String(await client.sendCommand(['INFO', section]));
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

export async function usedMemoryBytes(client: AdminClient): Promise<number> {
  return Number((await infoSection(client, 'memory')).get('used_memory'));
}

export async function redisVersion(client: AdminClient): Promise<string> {
  return (await infoSection(client, 'server')).get('redis_version') ?? 'unknown';
}

export async function flushAll(client: AdminClient): Promise<void> {
  await client.sendCommand(['FLUSHALL', 'SYNC']);
}

export async function resetStats(client: AdminClient): Promise<void> {
  await client.sendCommand(['CONFIG', 'RESETSTAT']);
}

/** Commands clients sent since the last reset (script calls count once), and how many were EVAL/EVALSHA. */
export async function clientCommands(client: AdminClient): Promise<{ total: number; scripts: number }> {
  const stats = await infoSection(client, 'stats');
  const commandStats = await infoSection(client, 'commandstats');
  const callsOf = (name: string) => Number(/calls=(\d+)/.exec(commandStats.get(`cmdstat_${name}`) ?? '')?.[1] ?? 0);
  const scripts = callsOf('evalsha') + callsOf('eval');
  // The two INFO calls above are counted too.
  return { total: Number(stats.get('total_commands_processed')) - 2, scripts };
}

/** CPU time redis-server used so far (user + system), in µs. */
export async function redisCpuMicros(client: AdminClient): Promise<number> {
  const cpu = await infoSection(client, 'cpu');
  return (Number(cpu.get('used_cpu_user')) + Number(cpu.get('used_cpu_sys'))) * 1e6;
}

/** Running totals of one redis-server, read with one INFO call; the difference of two readings is the work between them. */
export interface ServerCounters {
  /** Commands processed (total_commands_processed: those run inside Lua included), without INFO, REPLCONF (replica acks) and PING. */
  commands: number;
  /** EVALSHA + EVAL calls. */
  scripts: number;
  /** CPU time of redis-server (used_cpu_user + used_cpu_sys), in µs. */
  cpuMicros: number;
  /** Time spent in EVALSHA + EVAL (commands inside the scripts included), in µs (INFO commandstats usec). */
  scriptMicros: number;
}

/** Reads the counters of one server in one INFO call (counted as one INFO by the next reading). */
export async function serverCounters(client: AdminClient): Promise<ServerCounters> {
  const text = String(await client.sendCommand(['INFO', 'stats', 'commandstats', 'cpu']));
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  const stat = (command: string, field: 'calls' | 'usec') => Number(new RegExp(`${field}=(\\d+)`).exec(fields.get(`cmdstat_${command}`) ?? '')?.[1] ?? 0);
  const housekeeping = stat('info', 'calls') + stat('replconf', 'calls') + stat('ping', 'calls');
  return {
    commands: Number(fields.get('total_commands_processed')) - housekeeping,
    scripts: stat('evalsha', 'calls') + stat('eval', 'calls'),
    cpuMicros: (Number(fields.get('used_cpu_user')) + Number(fields.get('used_cpu_sys'))) * 1e6,
    scriptMicros: stat('evalsha', 'usec') + stat('eval', 'usec'),
  };
}

/** after − before, field by field. */
export function countersDelta(before: ServerCounters, after: ServerCounters): ServerCounters {
  return {
    commands: after.commands - before.commands,
    scripts: after.scripts - before.scripts,
    cpuMicros: after.cpuMicros - before.cpuMicros,
    scriptMicros: after.scriptMicros - before.scriptMicros,
  };
}
