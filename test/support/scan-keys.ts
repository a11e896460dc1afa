import { createClient } from 'redis';

/**
 * Every key of a scheduler prefix (both layouts: `{prefix}:...` and `prefix:{name}:...`) on every
 * node of TEST_REDIS_URLS (all masters of a cluster), sorted. Connects as the admin
 * (TEST_REDIS_ADMIN_URL when the tests run under a least-privilege ACL user, which may not SCAN).
 */
export async function scanKeys(
  prefix: string,
  urls = (process.env.TEST_REDIS_ADMIN_URL ?? process.env.TEST_REDIS_URLS ?? process.env.TEST_REDIS_URL ?? '').split(','),
): Promise<string[]> {
  const found = new Set<string>();
  for (const url of urls.filter(Boolean)) {
    const client = createClient({ url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      for (const pattern of [`{${prefix}}:*`, `${prefix}:{*`]) {
        for await (const page of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) for (const key of page) found.add(String(key));
      }
    } finally {
      await client.close();
    }
  }
  return [...found].sort();
}
