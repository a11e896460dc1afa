// The operations a history is made of, and how fast-check generates them.
import fc from 'fast-check';

/** Engine instances per sequence. */
export const NODE_COUNT = 3;
/** Distinct tasks per sequence: taskInfo "t0" … "t3" of one handler name. */
export const TASK_COUNT = 4;

/** What a handler does on one attempt. Every behaviour honours its signal. */
export type Behaviour =
  /** returns after 20 ms */
  | 'ok'
  /** throws after 5 ms */
  | 'fail'
  /** runs past its lease (renewals keep it), then returns */
  | 'long'
  /** waits for its signal (at most two leases), then returns */
  | 'hang';

/** One task of an add: which task, its due time from now (Redis time), and its behaviour per attempt. */
export interface AddSpec {
  task: number;
  dueInMs: number;
  /** behaviour of attempt 1, 2, …; 'ok' past the end */
  plan: Behaviour[];
}

export type Op =
  | ({ kind: 'add'; node: number } & AddSpec)
  | { kind: 'addTasks'; node: number; tasks: AddSpec[] }
  | { kind: 'remove'; node: number; task: number }
  | { kind: 'stop'; node: number }
  | { kind: 'start'; node: number }
  /** the node's connections are cut and never come back; its handlers die with it; no hand-back */
  | { kind: 'crash'; node: number }
  /** CLIENT KILL of one connection of the node (it reconnects) */
  | { kind: 'kill'; node: number; connection: 'commands' | 'subscriber' }
  | { kind: 'wait'; ms: number };

const node = fc.integer({ min: 0, max: NODE_COUNT - 1 });
const task = fc.integer({ min: 0, max: TASK_COUNT - 1 });
const behaviour = fc.constantFrom<Behaviour>('ok', 'ok', 'fail', 'fail', 'long', 'hang');
const addSpec: fc.Arbitrary<AddSpec> = fc.record({
  task,
  dueInMs: fc.oneof(fc.constant(0), fc.integer({ min: -50, max: 300 })),
  plan: fc.array(behaviour, { maxLength: 3 }),
});

/** One operation; adds and waits are the most frequent. */
export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ node, spec: addSpec }).map(({ node, spec }): Op => ({ kind: 'add', node, ...spec })) },
  { weight: 1, arbitrary: fc.record({ node, tasks: fc.array(addSpec, { minLength: 1, maxLength: 3 }) }).map((r): Op => ({ kind: 'addTasks', ...r })) },
  { weight: 2, arbitrary: fc.record({ node, task }).map((r): Op => ({ kind: 'remove', ...r })) },
  { weight: 1, arbitrary: node.map((n): Op => ({ kind: 'stop', node: n })) },
  { weight: 1, arbitrary: node.map((n): Op => ({ kind: 'start', node: n })) },
  { weight: 1, arbitrary: node.map((n): Op => ({ kind: 'crash', node: n })) },
  {
    weight: 1,
    arbitrary: fc.record({ node, connection: fc.constantFrom<'commands' | 'subscriber'>('commands', 'subscriber') }).map((r): Op => ({ kind: 'kill', ...r })),
  },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 150 }).map((ms): Op => ({ kind: 'wait', ms })) },
);

/** A sequence: 1 to `maxOps` operations (all nodes start listening first). */
export function sequenceArbitrary(maxOps: number): fc.Arbitrary<Op[]> {
  return fc.array(opArbitrary, { minLength: 1, maxLength: maxOps });
}
