import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { workerRegistryTable } from '@review-assistant/shared';
import type { RateDecision } from '../middleware/rate-limit.js';
import type { RateLimitPolicy, RateLimitStore } from './rate-limiter.js';

const keys = { partition: workerRegistryTable.partitionKey.name, sort: workerRegistryTable.sortKey.name, ttl: workerRegistryTable.timeToLiveAttribute };
/** Sort key of a bucket item. */
const BUCKET = 'bucket';
/** A bucket item outlives the moment it is full again by this much, then TTL may delete it. */
const TTL_GRACE_SECONDS = 60;

export interface DynamoRateLimitStoreOptions {
  /** The registry table (`WORKER_REGISTRY_TABLE`): buckets live in partitions `limit#<name>#<hashed key>`. */
  table: string;
  client?: DynamoDBClientConfig;
  /** Longest wait for DynamoDB per call; the caller falls back to its local limit after it. @default 1000 */
  timeoutMs?: number;
  /** Buckets whose last seen state is remembered (for local denials). @default 10000 */
  maxHints?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Rate-limit buckets in DynamoDB, shared by every gateway, as GCRA (the generic cell rate
 * algorithm, equivalent to a token bucket): one number per bucket, the theoretical arrival time
 * `tat` (epoch ms) at which the bucket is full again. A take of `cost` tokens is allowed when
 * `tat - now <= (burst - min(cost, burst)) × interval` and moves `tat` to `max(tat, now) + cost ×
 * interval` (interval = 60000 / perMinute ms).
 *
 * An allowed take is one conditional `UpdateItem`: the idle form (`attribute_not_exists(tat) OR
 * tat <= :now`, sets `tat = now + cost × interval`) or the busy form (`tat > :now AND tat <=
 * :max`, adds `cost × interval`), chosen from the last `tat` this gateway saw. `tat` never goes
 * down, so a remembered `tat` that already denies the take denies it without a call. Keys (client
 * IPs, API keys) are stored only as SHA-256 hashes.
 */
export class DynamoRateLimitStore implements RateLimitStore {
  readonly provider = 'dynamodb';
  private readonly client: DynamoDBClient;
  private readonly documents: DynamoDBDocumentClient;
  private readonly hints = new Map<string, number>();
  private readonly timeoutMs: number;
  private readonly maxHints: number;
  private readonly now: () => number;

  constructor(private readonly options: DynamoRateLimitStoreOptions) {
    this.client = new DynamoDBClient(options.client ?? {});
    this.documents = DynamoDBDocumentClient.from(this.client);
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.maxHints = options.maxHints ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async take(policy: RateLimitPolicy, key: string, cost: number): Promise<RateDecision> {
    const interval = 60_000 / policy.perMinute;
    const needed = Math.min(cost, policy.burst);
    const allowance = (policy.burst - needed) * interval;
    const partition = `limit#${policy.name}#${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)}`;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const now = this.now();
      const hint = this.hints.get(partition);
      if (hint !== undefined && hint - now > allowance) return denied(hint - now - allowance);
      const busy = hint !== undefined && hint > now;
      const tat = busy
        ? await this.update(partition, 'SET tat = tat + :add, #ttl = :expires', 'tat > :now AND tat <= :max', {
            ':add': cost * interval,
            ':now': now,
            ':max': now + allowance,
            ':expires': expiry(now + allowance + cost * interval),
          })
        : await this.update(partition, 'SET tat = :tat, #ttl = :expires', 'attribute_not_exists(tat) OR tat <= :now', {
            ':tat': now + cost * interval,
            ':now': now,
            ':expires': expiry(now + cost * interval),
          });
      if (tat !== undefined) {
        this.remember(partition, tat);
        return { allowed: true, retryAfterSeconds: 0 };
      }
      // the condition failed: learn the bucket's state and decide again
      const current = await this.read(partition);
      if (current === undefined) this.hints.delete(partition);
      else this.remember(partition, current);
    }
    // three lost races in a row: the bucket is contended; refuse this take briefly
    return denied(interval);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async update(partition: string, expression: string, condition: string, values: Record<string, number>): Promise<number | undefined> {
    try {
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: { [keys.partition]: partition, [keys.sort]: BUCKET },
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#ttl': keys.ttl },
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
      const tat = result.Attributes?.tat;
      return typeof tat === 'number' ? tat : Number.NaN;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  private async read(partition: string): Promise<number | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.options.table, Key: { [keys.partition]: partition, [keys.sort]: BUCKET }, ConsistentRead: true }),
      { abortSignal: AbortSignal.timeout(this.timeoutMs) },
    );
    const tat = result.Item?.tat;
    return typeof tat === 'number' ? tat : undefined;
  }

  private remember(partition: string, tat: number): void {
    this.hints.delete(partition);
    this.hints.set(partition, tat);
    if (this.hints.size > this.maxHints) {
      const oldest = this.hints.keys().next();
      if (!oldest.done) this.hints.delete(oldest.value);
    }
  }
}

function denied(waitMs: number): RateDecision {
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
}

function expiry(fullAgainMs: number): number {
  return Math.ceil(fullAgainMs / 1000) + TTL_GRACE_SECONDS;
}
