// A master killed (kill -9) while tasks are being added and run, its replica promoted by the
// cluster: measures how many acknowledged tasks were lost or ran twice (replication is
// asynchronous), and checks that the other masters' names lost nothing and ran nothing twice,
// and that everything added after the failover runs.
import assert from 'node:assert/strict';
import { eventually } from '../support/nodes';
import { ClusterRun, sleep, taskId } from './cluster-run';

const NAMES = Array.from({ length: 9 }, (_, i) => `failover-${i}`);
const LEASE_MS = 3_000;

describe('cluster failover: a master killed mid-run', function () {
  this.timeout(180_000);
  let run: ClusterRun | undefined;

  afterEach(async () => {
    await run?.destroy();
    run = undefined;
  });

  it('loses or repeats only tasks of the killed master, and runs everything added after the failover', async () => {
    run = await ClusterRun.start({ keyPrefix: 'test:failover', buckets: 1, concurrency: 16, leaseMs: LEASE_MS, safetyPollMs: 500 });
    const cluster = run.cluster;
    const victimPort = await run.masterOf(NAMES[0]);
    const onVictim = new Set<string>();
    for (const name of NAMES) if ((await run.masterOf(name)) === victimPort) onVictim.add(name);
    assert.ok(onVictim.size < NAMES.length, 'every name is on the victim: nothing to compare with');
    await run.startNodes(2, NAMES, 5);

    const ackedAtMs = new Map<string, number>();
    let failedAdds = 0;
    let adding = true;
    let seq = 0;
    const producing = (async () => {
      while (adding) {
        const batch = NAMES.map((name) => ({ name, taskInfo: `t${seq++}` }));
        await Promise.all(
          batch.map(async ({ name, taskInfo }) => {
            try {
              await run!.producer.addTask(name, Date.now(), taskInfo);
              ackedAtMs.set(taskId(name, taskInfo), Date.now());
            } catch {
              failedAdds++;
            }
          }),
        );
        await sleep(20);
      }
    })();

    let killedAtMs = 0;
    let promotedAtMs = 0;
    try {
      await sleep(3_000);
      killedAtMs = Date.now();
      await cluster.node(victimPort).stop('SIGKILL');
      await eventually(async () => (await run!.masterOf(NAMES[0]).catch(() => victimPort)) !== victimPort, 30_000, 'the replica to be promoted');
      promotedAtMs = Date.now();
      await sleep(3_000);
    } finally {
      adding = false;
      await producing;
    }
    const stoppedAtMs = Date.now();

    const counts = () => run!.runCounts();
    await eventually(() => [...ackedAtMs.keys()].every((id) => counts().has(id)), 30_000, 'the acknowledged tasks to run').catch(() => undefined);
    await sleep(LEASE_MS + 1_000); // a task whose acknowledgement was lost runs again after its lease
    const final = counts();
    const tally = (victim: boolean) => {
      const ids = [...ackedAtMs.keys()].filter((id) => onVictim.has(id.split('\u0000')[0]) === victim);
      return {
        acked: ids.length,
        lost: ids.filter((id) => !final.has(id)),
        twice: ids.filter((id) => (final.get(id) ?? 0) > 1).length,
      };
    };
    const victim = tally(true);
    const others = tally(false);
    console.log(
      `      kill -9 of a master (${run.target.client}): replica promoted ${promotedAtMs - killedAtMs} ms after the kill; ` +
        `${ackedAtMs.size} adds acknowledged over ${((stoppedAtMs - killedAtMs + 3_000) / 1000).toFixed(1)} s, ${failedAdds} rejected during the failover.\n` +
        `      killed master's names (${onVictim.size}/${NAMES.length}): ${victim.acked} acknowledged, ${victim.lost.length} lost, ${victim.twice} ran twice; ` +
        `other names: ${others.acked} acknowledged, ${others.lost.length} lost, ${others.twice} ran twice`,
    );
    assert.equal(others.lost.length, 0, 'a task of a surviving master was lost');
    assert.equal(others.twice, 0, 'a task of a surviving master ran twice');
    const lostAfterFailover = victim.lost.filter((id) => ackedAtMs.get(id)! > promotedAtMs);
    assert.deepEqual(lostAfterFailover, [], 'a task acknowledged after the failover was lost');
    assert.ok(run.nodes.every((node) => node.isAlive), 'a scheduler node died');
  });
});
