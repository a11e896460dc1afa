import { createClient } from 'redis';
import type { RedisClient } from './redis-client';

/**
 * Runs `use` with a client of the test server's admin (its `default` user): for test-only reads such as
 * SCAN that the scheduler's least-privilege ACL user may not run (see test/project.ts, TEST_REDIS_ACL).
 */
export async function withAdminClient<T>(use: (client: RedisClient) => Promise<T>): Promise<T> {
  const client = createClient({ url: process.env.TEST_REDIS_ADMIN_URL ?? process.env.TEST_REDIS_URL }) as RedisClient;
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}
