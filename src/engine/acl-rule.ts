/**
 * The commands the scheduler runs, as a Redis ACL rule: the scripts' own commands (they run under the
 * caller's ACL; the operator scripts of issue 12 add ZCOUNT, ZRANK, HLEN, and GET/SET/DEL of the
 * pause flag; recurring tasks add ZMSCORE, HSETNX, HEXISTS, HSCAN, SRANDMEMBER, INCRBY), the engine's reads,
 * and the wake-up channel. Kept true by the test suite, which runs
 * the module's contract and multi-process tests as a user holding exactly this rule (docs/security.md).
 */
export const ACL_COMMANDS =
  '+eval +evalsha +time +exists +zadd +zrem +zrange +zrangebyscore +zscore +zmscore +zcard +zcount +zrank +hset +hsetnx +hget ' +
  '+hmget +hgetall +hdel +hexists +hlen +hscan +get +set +del +incrby +sadd +srem +sismember +smembers +scard +srandmember ' +
  '+publish +subscribe +unsubscribe +spublish +ssubscribe +sunsubscribe +info|memory';

/**
 * The least-privilege ACL rule for a keyPrefix: its keys (`~`: the names registry `{prefix}:names` and
 * each name's `prefix:{name}:...`), its wake-up channels (`&prefix:{name}:wake`) and ACL_COMMANDS.
 */
export function aclRuleFor(keyPrefix: string): string {
  return `~{${keyPrefix}}:* ~${keyPrefix}:{* &${keyPrefix}:{* ${ACL_COMMANDS}`;
}

/**
 * What a user holding aclRuleFor() needs on top while `migrateLegacyTasks` is on: the published
 * scheduler's sorted set and the migration's staging keys beside it (legacyStagingKeys), its channel,
 * and ZSCAN to read the set page by page.
 */
export function legacyAclRuleFor(legacyKey = 'SchedulerUtil.Tasks', legacyChannel = 'SchedulerUtil'): string {
  const tagged = /\{[^}]+\}/.test(legacyKey) ? legacyKey : `{${legacyKey}}`;
  return `~${legacyKey} ~${tagged}:* &${legacyChannel} +zscan`;
}
