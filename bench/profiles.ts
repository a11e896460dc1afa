// Workload sizes: the full bench (the figures) and a smoke profile for CI.

export interface BenchProfile {
  name: 'full' | 'smoke';
  singleAdds: number;
  addsInFlight: number;
  batchAdds: number;
  drainTasks: number;
  spreadTasks: number;
  spreadOverMs: number;
  backlogTasks: number;
  memoryTasks: number;
  nodesPerScenario: number;
  concurrency: number;
  nodeCounts: number[];
  /** Tasks are added due this far ahead, so adding is over before the first is due. */
  leadMs: number;
  /** Longest wait for every task to run, beyond the due window. */
  runTimeoutMs: number;
  /** Wait after the last expected run, to catch late duplicates. */
  settleMs: number;
  /** Tasks per addMany call when filling the backlog. */
  fillChunk: number;
  /** Recurring scenario: schedules every second, and how long their ticks are watched. */
  recurringSchedules: number;
  recurringWindowMs: number;
  /** Cluster scenario: tasks of one name due at once (drain), and due evenly over spreadOverMs (spread). */
  clusterDrainTasks: number;
  clusterSpreadTasks: number;
  /** Bucket counts the cluster scenario compares (beside the engine's default). */
  clusterBuckets: number[];
  /** Idle-names scenario: due tasks of one name drained beside each count of idle handler names. */
  idleTasks: number;
  idleNameCounts: number[];
  /** How long the nodes are watched with nothing due, for Redis calls while idle (0: not watched). */
  idleWindowMs: number;
}

export const FULL: BenchProfile = {
  name: 'full',
  singleAdds: 20_000,
  addsInFlight: 64,
  batchAdds: 100_000,
  drainTasks: 20_000,
  spreadTasks: 20_000,
  spreadOverMs: 5_000,
  backlogTasks: 1_000_000,
  memoryTasks: 100_000,
  nodesPerScenario: 2,
  concurrency: 16,
  nodeCounts: [1, 2, 4],
  leadMs: 3_000,
  runTimeoutMs: 120_000,
  settleMs: 500,
  fillChunk: 10_000,
  recurringSchedules: 10_000,
  recurringWindowMs: 30_000,
  clusterDrainTasks: 20_000,
  clusterSpreadTasks: 20_000,
  clusterBuckets: [1, 12],
  idleTasks: 2_000,
  idleNameCounts: [0, 300, 3_000],
  idleWindowMs: 6_000,
};

export const SMOKE: BenchProfile = {
  ...FULL,
  name: 'smoke',
  singleAdds: 300,
  batchAdds: 2_000,
  drainTasks: 300,
  spreadTasks: 300,
  spreadOverMs: 300,
  backlogTasks: 3_000,
  memoryTasks: 2_000,
  nodeCounts: [1, 2],
  leadMs: 700,
  runTimeoutMs: 10_000,
  settleMs: 200,
  fillChunk: 1_000,
  recurringSchedules: 200,
  recurringWindowMs: 3_000,
  clusterDrainTasks: 300,
  clusterSpreadTasks: 300,
  // buckets=1 and the default ("auto": 12 on a cluster) only, to keep CI quick.
  clusterBuckets: [1],
  idleTasks: 200,
  idleNameCounts: [0, 300],
  idleWindowMs: 0,
};
