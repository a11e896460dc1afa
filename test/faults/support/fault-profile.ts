/** Which size the fault scenarios run at: `FAULTS_PROFILE=full` for the full suite, the short CI profile otherwise. */
export type FaultProfileName = 'ci' | 'full';

export const PROFILE_NAME: FaultProfileName = process.env.FAULTS_PROFILE === 'full' ? 'full' : 'ci';

/** Picks the CI or the full value of a scenario parameter. */
export function byProfile<T>(ci: T, full: T): T {
  return PROFILE_NAME === 'full' ? full : ci;
}

/** Scheduling margin added to every bound computed from config values: the machine is small and shared. */
export const SCHEDULING_MARGIN_MS = 1_500;

/** Jitter the engine applies to its safety poll (±20 %). */
export const SAFETY_POLL_JITTER = 0.2;

/** Latest a lost wake-up may delay a due task on an idle node: one safety poll with its jitter, plus the margin. */
export function safetyPollBoundMs(safetyPollMs: number): number {
  return Math.ceil(safetyPollMs * (1 + SAFETY_POLL_JITTER)) + SCHEDULING_MARGIN_MS;
}

/** Latest a crashed node's task may start again elsewhere: the lease, then one safety poll, plus the margin. */
export function recoveryBoundMs(leaseMs: number, safetyPollMs: number): number {
  return leaseMs + safetyPollBoundMs(safetyPollMs);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
