// What the dashboard costs with a large backlog (issue 13, target: under 300 ms server time): its
// page load is the HTML, then the overview (stats and due forecast of every name) and the first
// page of a name's upcoming tasks. Each is timed by the dashboard's own Server-Timing header
// (server time) and by the client on the loopback (wall time).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createDashboard } from '../src/dashboard';
import type { RedisScheduler } from '../src/engine/scheduler';
import { quantile } from './stats';

export interface DashboardLatency {
  p50Ms: number;
  p99Ms: number;
}

const SAMPLES = 100;

/** The `app;dur=` of a response's Server-Timing header (ms). */
function serverMs(response: Response): number {
  const match = /app;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '');
  if (!match) throw new Error('the dashboard sent no Server-Timing');
  return Number(match[1]);
}

/** p50 / p99 of the page load's server time and wall time, and of each of its three requests' server time. */
export async function dashboardCosts(engine: RedisScheduler, name: string): Promise<Record<string, DashboardLatency>> {
  const dashboard = createDashboard(engine, {});
  const server = createServer((request, response) => dashboard(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const steps: Array<[string, string]> = [
    ['page (HTML)', base],
    ['api/overview', `${base}api/overview`],
    ['api/tasks, first page (50)', `${base}api/tasks?${new URLSearchParams({ name, state: 'scheduled' })}`],
  ];
  const samples: Record<string, number[]> = Object.fromEntries([...steps.map(([label]) => label), 'load: server', 'load: wall'].map((label) => [label, []]));
  try {
    for (let i = 0; i < SAMPLES + 10; i++) {
      const startMs = performance.now();
      let total = 0;
      for (const [label, url] of steps) {
        const response = await fetch(url);
        if (!response.ok) throw new Error(`${url}: ${response.status}`);
        await response.arrayBuffer();
        if (i >= 10) samples[label].push(serverMs(response)); // the first 10: warm-up
        total += serverMs(response);
      }
      if (i >= 10) {
        samples['load: server'].push(total);
        samples['load: wall'].push(performance.now() - startMs);
      }
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return Object.fromEntries(Object.entries(samples).map(([label, values]) => [label, { p50Ms: quantile(values, 0.5), p99Ms: quantile(values, 0.99) }]));
}
