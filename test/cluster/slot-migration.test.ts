// A name's slot moved to another master while its tasks are added and run
// (CLUSTER SETSLOT IMPORTING / MIGRATING, MIGRATE key by key, SETSLOT NODE): scripts meet ASK and
// TRYAGAIN on the way; every task still runs exactly once and the keys end on the new master.
import assert from 'node:assert/strict';
import { eventually } from '../support/nodes';
import { redisCli } from '../support/redis-cluster';
import { ClusterRun, sleep, taskId } from './cluster-run';

const NAMES = ['migrate-0', 'migrate-1', 'migrate-2'];
const LEASE_MS = 3_000;
/** Pause between two keys of the slot, so scripts run while the slot is half moved. */
const PAUSE_PER_KEY_MS = 300;

describe('cluster slot migration during a run', function () {
  this.timeout(180_000);
  let run: ClusterRun | undefined;

  afterEach(async () => {
    await run?.destroy();
    run = undefined;
  });

  it('runs every task exactly once while the slot of its name moves to another master', async () => {
    run = await ClusterRun.start({ keyPrefix: 'test:migrate', buckets: 1, concurrency: 16, leaseMs: LEASE_MS, safetyPollMs: 500 });
    const { cluster } = run;
    const moving = NAMES[0];
    const slot = await cluster.slotOf(run.keys.forHandler(moving).due);
    const masters = (await cluster.topology()).filter((n) => n.role === 'master' && n.slots.length > 0);
    const source = masters.find((n) => n.slots.some(([a, b]) => slot >= a && slot <= b))!;
    const destination = masters.find((n) => n !== source)!;
    await run.startNodes(2, NAMES, 5);

    const planned: string[] = [];
    const startMs = Date.now();
    const spread = NAMES.flatMap((name) =>
      Array.from({ length: 300 }, (_, i) => ({ name, dueTimeMs: startMs + 500 + Math.floor((i * 5_000) / 300), taskInfo: `spread-${i}` })),
    );
    await run.producer.addTasks(spread);
    planned.push(...spread.map((t) => taskId(t.name, t.taskInfo)));

    let adding = true;
    let seq = 0;
    let rejectedAdds = 0;
    const producing = (async () => {
      while (adding) {
        const taskInfo = `live-${seq++}`;
        try {
          await run!.producer.addTask(moving, Date.now(), taskInfo);
          planned.push(taskId(moving, taskInfo));
        } catch {
          rejectedAdds++; // TRYAGAIN for longer than the script runner's retries: the add did not happen
        }
        await sleep(10);
      }
    })();

    let movedKeys = 0;
    try {
      await sleep(1_000);
      await redisCli(destination.port, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', source.id]);
      await redisCli(source.port, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', destination.id]);
      for (;;) {
        const keys = (await redisCli(source.port, ['CLUSTER', 'GETKEYSINSLOT', String(slot), '100'])).split('\n').filter(Boolean);
        if (keys.length === 0) break;
        for (const key of keys) {
          await redisCli(source.port, ['MIGRATE', '127.0.0.1', String(destination.port), key, '0', '5000']);
          movedKeys++;
          await sleep(PAUSE_PER_KEY_MS);
        }
      }
      for (const node of [destination, source, ...masters.filter((n) => n !== source && n !== destination)]) {
        await redisCli(node.port, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', destination.id]);
      }
      await sleep(1_000);
    } finally {
      adding = false;
      await producing;
    }

    await eventually(() => planned.every((id) => run!.runCounts().has(id)), 30_000, 'every task to run');
    await sleep(LEASE_MS + 1_000); // a task run twice would show up by now
    const counts = run.runCounts();
    const twice = planned.filter((id) => (counts.get(id) ?? 0) > 1).length;
    console.log(
      `      slot ${slot} of "${moving}" moved ${source.port} -> ${destination.port} (${movedKeys} keys, ${PAUSE_PER_KEY_MS} ms apart) ` +
        `during ${planned.length} tasks (${rejectedAdds} adds rejected): missing ${planned.filter((id) => !counts.has(id)).length}, ran twice ${twice}`,
    );
    assert.equal(twice, 0);
    assert.equal(await run.masterOf(moving), destination.port);
    assert.ok(movedKeys > 0, 'the slot had no key to move');
  });
});
