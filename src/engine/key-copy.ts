// Moving the entries of one key into others, page by page (SCAN family), without overwriting what
// is there: the offline key-layout upgrade and re-bucketing both move keys this way, so either can
// be run again after an interruption.
import type { RedisPort } from './redis/redis-port';

const SCAN_COUNT = '1000';

/**
 * Copies every entry of `from` into the key `target(member)` (entries already there win), then deletes
 * `from`; resolves to how many entries it copied, or undefined if `from` does not exist.
 */
export async function moveEntries(port: RedisPort, from: string, target: (member: string) => string): Promise<number | undefined> {
  const type = String(await port.send(['TYPE', from], from));
  if (type === 'none') return undefined;
  const scan = { zset: 'ZSCAN', hash: 'HSCAN', set: 'SSCAN' }[type];
  if (!scan) throw new Error(`redis_scheduler: cannot move ${from}: unexpected type ${type}`);
  let copied = 0;
  let cursor = '0';
  do {
    const [next, page] = (await port.send([scan, from, cursor, 'COUNT', SCAN_COUNT], from)) as [unknown, unknown[]];
    cursor = String(next);
    const entries = page.map(String);
    const step = type === 'set' ? 1 : 2;
    const byTarget = new Map<string, string[]>();
    for (let i = 0; i < entries.length; i += step) {
      const key = target(entries[i]);
      const list = byTarget.get(key) ?? [];
      list.push(...entries.slice(i, i + step));
      byTarget.set(key, list);
    }
    await Promise.all([...byTarget].map(([to, list]) => writeMissing(port, type, to, list)));
    copied += entries.length / step;
  } while (cursor !== '0');
  await port.send(['DEL', from], from);
  return copied;
}

/** Writes scanned entries into `to` without overwriting. */
async function writeMissing(port: RedisPort, type: string, to: string, entries: string[]): Promise<void> {
  if (type === 'set') {
    await port.send(['SADD', to, ...entries], to);
  } else if (type === 'hash') {
    // HSCAN pages are (field, value) pairs.
    await Promise.all(
      Array.from({ length: entries.length / 2 }, (_, i) => port.send(['HSETNX', to, entries[2 * i], entries[2 * i + 1]], to)),
    );
  } else {
    // ZSCAN pages are (member, score) pairs; ZADD takes (score, member).
    const pairs: string[] = [];
    for (let i = 0; i < entries.length; i += 2) pairs.push(entries[i + 1], entries[i]);
    await port.send(['ZADD', to, 'NX', ...pairs], to);
  }
}
