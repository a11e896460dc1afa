// Hashes of the bucket layout (docs/buckets.md): which bucket a task goes to, and which Redis
// Cluster slot a hash tag lands in (to choose bucket tags that spread over the slot space).

/** Redis Cluster's slot count. */
export const CLUSTER_SLOTS = 16_384;

/**
 * FNV-1a (32 bits) of the UTF-8 bytes of `text`: the hash that picks a task's bucket. Stable across
 * processes, versions and platforms, cheap, and spreads short similar strings ("job-1", "job-2") well.
 */
export function fnv1a32(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** The Redis Cluster slot of a hash tag's content (CRC16-XMODEM of its UTF-8 bytes, mod 16384), as CLUSTER KEYSLOT computes it. */
export function slotOfTag(tag: string): number {
  const bytes = Buffer.from(tag, 'utf8');
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc % CLUSTER_SLOTS;
}
