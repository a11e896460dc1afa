// `redis-scheduler serve-metrics`: the task gauges over HTTP at /metrics, for a Prometheus scrape.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { RedisScheduler } from '../engine/scheduler';

/** Serves GET /metrics until `stop` resolves; resolves to the address it listens on once listening. */
export async function serveMetrics(engine: RedisScheduler, host: string, port: number, log: (line: string) => void): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    engine.getMetrics().then(
      (text) => response.writeHead(200, { 'content-type': Registry.PROMETHEUS_CONTENT_TYPE }).end(text),
      (err: Error) => {
        log(`scrape failed: ${err.message}`);
        response.writeHead(503, { 'content-type': 'text/plain' }).end(`scrape failed: ${err.message}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  log(`serving metrics on http://${address.address}:${address.port}/metrics`);
  return server;
}
