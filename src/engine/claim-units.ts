// The units the claim loop visits (docs/buckets.md): one per (handled name, bucket), each with the
// next time it has something to claim, as learnt from claim replies and wake-up messages. A pass
// visits only the units that are due, so an idle name costs no Redis call between safety polls.
import { performance } from 'node:perf_hooks';
import type { KeySpace, TaskKeys } from './keys';

/** One bucket of one handled name. */
export interface ClaimUnit {
  name: string;
  bucket: number;
  keys: TaskKeys;
  /** When (performance.now() ms) this unit next has a task to claim or a lease to reclaim; Infinity: nothing known. */
  dueAtMs: number;
  /** Its last claim left a due suspect for an idle node (see claim.lua). */
  suspectLeft: boolean;
  /**
   * Its last claim took all it asked for and more was due: a backlog. The loop gives such a unit
   * a claim of its own with every free slot, instead of a share of a parallel wave.
   */
  backlogged: boolean;
}

/** The units of the handled names, kept in step with the handlers and the bucket count. */
export class ClaimUnits {
  private readonly byName = new Map<string, ClaimUnit[]>();
  private list: ClaimUnit[] = [];
  private cursor = 0;
  private buckets = 0;

  constructor(private readonly keys: KeySpace) {}

  /** Adds the units of new names (due at once: nothing is known of them) and drops those of names no longer handled. */
  sync(handlers: ReadonlyMap<string, unknown>): void {
    if (this.inStep(handlers)) return;
    const wanted = new Set(handlers.keys());
    let changed = this.buckets !== this.keys.buckets;
    if (changed) this.byName.clear();
    this.buckets = this.keys.buckets;
    for (const name of this.byName.keys()) {
      if (!wanted.has(name)) {
        this.byName.delete(name);
        changed = true;
      }
    }
    for (const name of wanted) {
      if (this.byName.has(name)) continue;
      this.byName.set(
        name,
        this.keys.allBuckets(name).map((keys) => ({ name, bucket: keys.bucket, keys, dueAtMs: -Infinity, suspectLeft: false, backlogged: false })),
      );
      changed = true;
    }
    if (changed) this.list = [...this.byName.values()].flat();
  }

  /** Whether the units already match these handlers and the bucket count (checked each pass without allocating). */
  private inStep(handlers: ReadonlyMap<string, unknown>): boolean {
    if (this.buckets !== this.keys.buckets || handlers.size !== this.byName.size) return false;
    for (const name of handlers.keys()) if (!this.byName.has(name)) return false;
    return true;
  }

  /** Every unit. */
  get all(): readonly ClaimUnit[] {
    return this.list;
  }

  /** The unit of (name, bucket), if that name is handled here. */
  get(name: string, bucket: number): ClaimUnit | undefined {
    return this.byName.get(name)?.[bucket];
  }

  /** Learns that (name, bucket) has something due within `delayMs`. Returns false for a name not handled here. */
  dueWithin(name: string, bucket: number, delayMs: number): boolean {
    const unit = this.get(name, bucket);
    if (!unit) return false;
    unit.dueAtMs = Math.min(unit.dueAtMs, performance.now() + Math.max(0, delayMs));
    return true;
  }

  /** Marks every unit due now (the safety poll: a lost wake-up only delays this much). */
  markAllDue(): void {
    const nowMs = performance.now();
    for (const unit of this.list) unit.dueAtMs = Math.min(unit.dueAtMs, nowMs);
  }

  /** Marks due now the units whose last claim left a suspect for an idle node. */
  markSuspectsDue(): void {
    const nowMs = performance.now();
    for (const unit of this.list) if (unit.suspectLeft) unit.dueAtMs = Math.min(unit.dueAtMs, nowMs);
  }

  /** The units due by now, starting one further each pass so a busy unit cannot starve the others. */
  dueInTurn(): ClaimUnit[] {
    const nowMs = performance.now();
    const n = this.list.length;
    if (n === 0) return [];
    const start = this.cursor++ % n;
    const due: ClaimUnit[] = [];
    for (let i = 0; i < n; i++) {
      const unit = this.list[(start + i) % n];
      if (unit.dueAtMs <= nowMs) due.push(unit);
    }
    return due;
  }

  /** ms until the earliest unit is due (0 or less: one is due now; Infinity: none is known to be). */
  nextDueDelayMs(): number {
    let earliest = Infinity;
    for (const unit of this.list) earliest = Math.min(earliest, unit.dueAtMs);
    return earliest - performance.now();
  }

  /** ms until the earliest unit that is not yet due becomes due (Infinity if none). */
  nextFutureDelayMs(): number {
    const nowMs = performance.now();
    let earliest = Infinity;
    for (const unit of this.list) if (unit.dueAtMs > nowMs) earliest = Math.min(earliest, unit.dueAtMs);
    return earliest - nowMs;
  }
}
