// `redis-scheduler dashboard`: the web dashboard (createDashboard) on its own HTTP server, bound to
// 127.0.0.1 unless --host says otherwise; /metrics beside it with --metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDashboard } from '../dashboard';
import type { RedisScheduler } from '../engine/scheduler';
import type { CliRequest } from './args';

/** Serves the dashboard until the server is closed; resolves once it listens. */
export async function serveDashboard(engine: RedisScheduler, request: CliRequest, log: (line: string) => void): Promise<Server> {
  const dashboard = createDashboard(engine, { allowActions: request.allowActions, token: request.token, metrics: request.metrics });
  const server = createServer((req, res) => {
    if (request.token === undefined && !isKnownHost(req.headers.host, request.host)) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('this dashboard answers only to its address (an IP or localhost) unless it has a --token\n');
      return;
    }
    dashboard(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(request.port, request.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const mode = request.allowActions ? 'actions allowed' : 'read-only';
  log(`dashboard on http://${host}:${port}/ (${mode}${request.token ? ', token required: open it once with ?token=<token>' : ''}${request.metrics ? `; metrics on http://${host}:${port}/metrics` : ''})`);
  return server;
}

/**
 * Without a token, only requests addressed to an IP, localhost or the --host name: a page of another
 * site whose name was rebound to this address (DNS rebinding) cannot read the dashboard or act.
 */
function isKnownHost(header: string | undefined, bound: string): boolean {
  if (header === undefined) return false;
  const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.replace(/:\d+$/, '');
  return name === 'localhost' || name === bound || /^\d+\.\d+\.\d+\.\d+$/.test(name) || /^\[[\da-f:.]+\]$/i.test(name);
}
