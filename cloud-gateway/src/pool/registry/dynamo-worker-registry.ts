import { ConditionalCheckFailedException, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { HeartbeatSchema, workerRegistryTable } from '@review-assistant/shared';
import {
  expiryOf,
  registrySettings,
  tooManyWorkers,
  workerIdTaken,
  type AnnouncedWorker,
  type RegisteredWorker,
  type UpsertOutcome,
  type WorkerRegistry,
  type WorkerRegistryOptions,
} from './worker-registry.js';

/** Partition of the registry table that holds the workers (rate-limit buckets use other partitions). */
export const WORKER_PARTITION = 'worker';

const keys = { partition: workerRegistryTable.partitionKey.name, sort: workerRegistryTable.sortKey.name, ttl: workerRegistryTable.timeToLiveAttribute };
const AnnouncedSchema = HeartbeatSchema.omit({ goodbye: true });

export interface DynamoWorkerRegistryOptions extends WorkerRegistryOptions {
  table: string;
  /** Client settings (region, endpoint for dynalite, credentials); default: the SDK's default chain. */
  client?: DynamoDBClientConfig;
}

/**
 * The worker registry in DynamoDB (`workerRegistryTable`), shared by every gateway of a fleet:
 * one item per worker (`pk = worker`, `sk = <worker id>`) with the announced heartbeat, the
 * receive time, the expiry in ms and the TTL attribute `expiresAt` (epoch seconds; DynamoDB
 * deletes late, so `list()` filters on the ms expiry itself).
 *
 * A heartbeat of a live worker at its bound URL is one conditional put (`url = :url AND
 * expiresAtMs >= :now`). Only when that fails (new id, expired entry, or another URL) does the
 * adapter read the entry, count the live workers for `maxWorkers` and register with `attribute_not_exists
 * OR expired`, so two gateways registering one id with two URLs at once bind it to exactly one.
 */
export class DynamoWorkerRegistry implements WorkerRegistry {
  readonly provider = 'dynamodb';
  private readonly client: DynamoDBClient;
  private readonly documents: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly missedHeartbeats: number;
  private readonly maxWorkers: number;
  private readonly now: () => number;

  constructor(options: DynamoWorkerRegistryOptions) {
    this.table = options.table;
    ({ missedHeartbeats: this.missedHeartbeats, maxWorkers: this.maxWorkers, now: this.now } = registrySettings(options));
    this.client = new DynamoDBClient(options.client ?? {});
    this.documents = DynamoDBDocumentClient.from(this.client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async upsert(heartbeat: AnnouncedWorker, receivedAtMs: number): Promise<UpsertOutcome> {
    const worker: RegisteredWorker = { ...heartbeat, receivedAtMs, expiresAtMs: expiryOf(heartbeat, receivedAtMs, this.missedHeartbeats) };
    if (await this.put(worker, '#url = :url AND expiresAtMs >= :now')) return { accepted: true, created: false, worker };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const existing = await this.get(heartbeat.workerId);
      if (existing && existing.url !== heartbeat.url) {
        return workerIdTaken(heartbeat.workerId, existing);
      }
      if (existing) {
        // live at the same URL: a concurrent heartbeat registered it a moment ago
        if (await this.put(worker, '#url = :url AND expiresAtMs >= :now')) return { accepted: true, created: false, worker };
        continue;
      }
      if ((await this.list()).length >= this.maxWorkers) {
        return tooManyWorkers(this.maxWorkers);
      }
      if (await this.put(worker, 'attribute_not_exists(#pk) OR expiresAtMs < :now')) return { accepted: true, created: true, worker };
    }
    return { accepted: false, reason: 'worker_id_taken', message: `worker id ${heartbeat.workerId} was registered by another heartbeat at the same time` };
  }

  async remove(workerId: string, url?: string): Promise<boolean> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { [keys.partition]: WORKER_PARTITION, [keys.sort]: workerId },
          ConditionExpression: url === undefined ? 'attribute_exists(#pk)' : 'attribute_exists(#pk) AND #url = :url',
          ExpressionAttributeNames: url === undefined ? { '#pk': keys.partition } : { '#pk': keys.partition, '#url': 'url' },
          ...(url === undefined ? {} : { ExpressionAttributeValues: { ':url': url } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async list(): Promise<RegisteredWorker[]> {
    const now = this.now();
    const workers: RegisteredWorker[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :worker',
          ExpressionAttributeNames: { '#pk': keys.partition },
          ExpressionAttributeValues: { ':worker': WORKER_PARTITION },
          ConsistentRead: true,
          ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const worker = fromItem(item);
        if (worker && worker.expiresAtMs >= now) workers.push(worker);
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return workers;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async get(workerId: string): Promise<RegisteredWorker | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.table, Key: { [keys.partition]: WORKER_PARTITION, [keys.sort]: workerId }, ConsistentRead: true }),
    );
    const worker = result.Item ? fromItem(result.Item) : undefined;
    return worker && worker.expiresAtMs >= this.now() ? worker : undefined;
  }

  /** A conditional put of the entry; false when the condition did not hold. */
  private async put(worker: RegisteredWorker, condition: string): Promise<boolean> {
    const { receivedAtMs, expiresAtMs, ...announced } = worker;
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            [keys.partition]: WORKER_PARTITION,
            [keys.sort]: worker.workerId,
            url: worker.url,
            announced,
            receivedAtMs,
            expiresAtMs,
            [keys.ttl]: Math.ceil(expiresAtMs / 1000),
          },
          ConditionExpression: condition,
          ExpressionAttributeNames: condition.includes('#pk') ? { '#pk': keys.partition } : { '#url': 'url' },
          ExpressionAttributeValues: condition.includes(':url') ? { ':url': worker.url, ':now': this.now() } : { ':now': this.now() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function fromItem(item: Record<string, unknown>): RegisteredWorker | undefined {
  const announced = AnnouncedSchema.safeParse(item.announced);
  const receivedAtMs = item.receivedAtMs;
  const expiresAtMs = item.expiresAtMs;
  if (!announced.success || typeof receivedAtMs !== 'number' || typeof expiresAtMs !== 'number') return undefined;
  return { ...announced.data, receivedAtMs, expiresAtMs };
}
