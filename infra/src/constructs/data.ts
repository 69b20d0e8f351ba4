import { Duration, RemovalPolicy, aws_dynamodb as dynamodb, aws_logs as logs, aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { GatewayStackConfig } from '../stack-config.js';
import { interactionLogTable, workerRegistryTable, type KeyAttribute, type TableDefinition } from '../tables/table-definitions.js';

export interface GatewayDataProps {
  config: GatewayStackConfig;
}

const attribute = (key: KeyAttribute): dynamodb.Attribute => ({
  name: key.name,
  type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

/**
 * Everything the gateway keeps: the artifact bucket (intent model, releases, pipeline sources),
 * the interaction log table, the worker registry table (load-balanced mode) and the log group.
 * Tables are built from the shared definitions that `npm run dynamodb:tables` also reads.
 */
export class GatewayData extends Construct {
  readonly bucket: s3.Bucket;
  readonly logTable: dynamodb.Table;
  readonly registryTable: dynamodb.Table | undefined;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: GatewayDataProps) {
    super(scope, id);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.bucket = new s3.Bucket(this, 'Artifacts', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // versioned: a release's previous version is the rollback target, and CodePipeline's S3 source needs it
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      removalPolicy,
      autoDeleteObjects: !config.retainData,
    });

    const table = (definition: TableDefinition, capacity: { read: number; write: number }) => {
      const created = new dynamodb.Table(this, definition.id, {
        partitionKey: attribute(definition.partitionKey),
        sortKey: attribute(definition.sortKey),
        timeToLiveAttribute: definition.timeToLiveAttribute,
        // Provisioned capacity inside the always-free 25 RCU / 25 WCU; on-demand has no free requests.
        billingMode: dynamodb.BillingMode.PROVISIONED,
        readCapacity: capacity.read,
        writeCapacity: capacity.write,
        // Continuous backups cost ~$0.20 per GB-month: a flag, off by default (docs/DEPLOY.md).
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.pointInTimeRecovery },
        deletionProtection: config.retainData,
        removalPolicy,
      });
      for (const index of definition.globalSecondaryIndexes) {
        created.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          sortKey: attribute(index.sortKey),
          projectionType: index.projection.type === 'ALL' ? dynamodb.ProjectionType.ALL : dynamodb.ProjectionType.INCLUDE,
          ...(index.projection.type === 'INCLUDE' ? { nonKeyAttributes: [...index.projection.attributes] } : {}),
          readCapacity: index.capacity.readCapacity,
          writeCapacity: index.capacity.writeCapacity,
        });
      }
      return created;
    };
    this.logTable = table(interactionLogTable, { read: config.tableReadCapacity, write: config.tableWriteCapacity });
    // Only a fleet of gateways needs a shared registry; one instance keeps it in memory.
    this.registryTable =
      config.mode === 'ha'
        ? table(workerRegistryTable, { read: workerRegistryTable.billing.readCapacity, write: workerRegistryTable.billing.writeCapacity })
        : undefined;

    this.logGroup = new logs.LogGroup(this, 'GatewayLogs', {
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
