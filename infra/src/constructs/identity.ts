import { ArnFormat, Stack, aws_dynamodb as dynamodb, aws_iam as iam, aws_logs as logs, aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { GatewayStackConfig } from '../stack-config.js';
import { interactionLogTable } from '../tables/table-definitions.js';

/** CloudWatch namespace of the gateway's own metrics; the instance may publish nowhere else. */
export const METRICS_NAMESPACE = 'ReviewAssistant/Gateway';

/** Secrets read at boot from SSM Parameter Store (SecureString), by environment variable name. */
export const SECRET_NAMES = { required: ['WORKER_SHARED_SECRET'], optional: ['ADMIN_TOKEN', 'API_KEYS'] } as const;

/**
 * The CloudFront edge secret (`X-Origin-Verify`), by environment variable name: a random String
 * parameter made by `infra/scripts/edge-secret.sh` (CloudFront's origin header and the ALB rule
 * read it through CloudFormation dynamic references, which take plain String parameters only),
 * and during a rotation the value before it.
 */
export const EDGE_SECRET_NAMES = { current: 'EDGE_SECRET', previous: 'EDGE_SECRET_PREVIOUS' } as const;

/**
 * Every parameter the gateway reads at start (full names under `parameterPrefix`): behind a
 * CloudFront edge also the edge secret (required) and its previous value (only during a rotation).
 */
export function gatewaySecretParameters(parameterPrefix: string, cloudFrontEdge: boolean): { required: string[]; optional: string[] } {
  const named = (names: readonly string[]) => names.map((name) => `${parameterPrefix}/${name}`);
  return {
    required: named([...SECRET_NAMES.required, ...(cloudFrontEdge ? [EDGE_SECRET_NAMES.current] : [])]),
    optional: named([...SECRET_NAMES.optional, ...(cloudFrontEdge ? [EDGE_SECRET_NAMES.previous] : [])]),
  };
}

/**
 * DynamoDB actions the gateway's code uses, per table (a test compares them with the SDK commands
 * in cloud-gateway/src): the log store writes in batches and queries the time index; the shared
 * registry (and the shared rate limiter in it) reads, writes, updates, deletes and queries items.
 */
export const LOG_TABLE_ACTIONS = ['dynamodb:BatchWriteItem', 'dynamodb:Query'] as const;
export const REGISTRY_TABLE_ACTIONS = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] as const;

/**
 * What the SSM agent needs for Session Manager and Run Command, written out instead of the managed
 * AmazonSSMManagedInstanceCore, which also grants ssm:GetParameter(s) on every parameter of the
 * account. ssmmessages and ec2messages have no resource-level permissions (AWS requires "*").
 */
const SSM_AGENT_CHANNEL_ACTIONS = [
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
];

/** The object pattern covering a key's folder (`releases/x.tgz` → `releases/*`), or the key itself. */
export function keyPrefix(key: string): string {
  return key.includes('/') ? `${key.slice(0, key.lastIndexOf('/') + 1)}*` : key;
}

/** Bucket prefixes the instance may read. Everything else in the bucket stays private to deployers. */
export function readablePrefixes(config: Pick<GatewayStackConfig, 'intentModelKey' | 'releaseKey'>): string[] {
  return [...new Set([keyPrefix(config.intentModelKey), keyPrefix(config.releaseKey)])];
}

export interface GatewayIdentityProps {
  config: GatewayStackConfig;
  bucket: s3.IBucket;
  logTable: dynamodb.ITable;
  registryTable: dynamodb.ITable | undefined;
  logGroup: logs.ILogGroup;
}

/**
 * The instance role: read its artifacts and secrets, write the interaction log (and the shared
 * registry in the load-balanced mode), ship logs and metrics, talk to the SSM agent's channels.
 * No managed policy, no wildcard action, "*" only where AWS has no resource ARN.
 */
export class GatewayIdentity extends Construct {
  readonly role: iam.Role;
  readonly instanceProfile: iam.InstanceProfile;
  readonly secretParameters: { required: string[]; optional: string[] };
  readonly policy: iam.Policy;

  constructor(scope: Construct, id: string, props: GatewayIdentityProps) {
    super(scope, id);
    const { config, bucket, logTable, registryTable, logGroup } = props;
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'GatewayRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Review assistant gateway instance: read its artifacts and secrets, write interaction logs',
    });
    this.instanceProfile = new iam.InstanceProfile(this, 'GatewayInstanceProfile', { role: this.role });

    this.secretParameters = gatewaySecretParameters(config.parameterPrefix, config.edge === 'cloudfront');
    const parameterArn = (name: string) =>
      stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.slice(1), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const index = (table: dynamodb.ITable, name: string) => `${table.tableArn}/index/${name}`;

    const statements = [
      new iam.PolicyStatement({
        sid: 'ReadIntentModelAndGatewayRelease',
        actions: ['s3:GetObject'],
        resources: readablePrefixes(config).map((prefix) => bucket.arnForObjects(prefix)),
      }),
      new iam.PolicyStatement({
        sid: 'WriteAndQueryInteractionLog',
        actions: [...LOG_TABLE_ACTIONS],
        resources: [logTable.tableArn, ...interactionLogTable.globalSecondaryIndexes.map((definition) => index(logTable, definition.indexName))],
      }),
      new iam.PolicyStatement({
        sid: 'ReadGatewaySecrets',
        actions: ['ssm:GetParameters'],
        resources: [...this.secretParameters.required, ...this.secretParameters.optional].map(parameterArn),
      }),
      // Belt and braces: whatever else is ever attached, parameters outside the prefix stay unreadable.
      new iam.PolicyStatement({
        sid: 'DenyParametersOutsideThePrefix',
        effect: iam.Effect.DENY,
        actions: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory'],
        notResources: [parameterArn(`${config.parameterPrefix}/*`)],
      }),
      new iam.PolicyStatement({
        sid: 'ShipGatewayLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [logGroup.logGroupArn],
      }),
      // PutMetricData has no resource-level permissions: AWS requires "*" and offers the
      // namespace condition key instead.
      new iam.PolicyStatement({
        sid: 'PublishGatewayMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
      // Session Manager (no SSH) and Run Command (the deployment's rollout) through the SSM agent.
      new iam.PolicyStatement({
        sid: 'RegisterWithSsm',
        actions: ['ssm:UpdateInstanceInformation'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
      }),
      new iam.PolicyStatement({ sid: 'SsmAgentChannels', actions: SSM_AGENT_CHANNEL_ACTIONS, resources: ['*'] }),
    ];
    if (registryTable) {
      statements.push(
        new iam.PolicyStatement({ sid: 'SharedWorkerRegistry', actions: [...REGISTRY_TABLE_ACTIONS], resources: [registryTable.tableArn] }),
      );
    }
    this.policy = new iam.Policy(this, 'GatewayPolicy', { roles: [this.role], statements });
  }

  /** Lets the instance attach the stack's Elastic IP to itself (single mode). */
  allowElasticIpAssociation(allocationId: string): void {
    const stack = Stack.of(this);
    this.policy.addStatements(
      new iam.PolicyStatement({
        sid: 'AttachOwnElasticIp',
        actions: ['ec2:AssociateAddress'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'elastic-ip', resourceName: allocationId })],
      }),
      // Instance ids are not known before launch; the condition narrows "instance/*" to instances
      // started with this stack's instance profile.
      new iam.PolicyStatement({
        sid: 'AttachElasticIpToOwnInstance',
        actions: ['ec2:AssociateAddress'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
        conditions: { ArnEquals: { 'ec2:InstanceProfile': this.instanceProfile.instanceProfileArn } },
      }),
    );
  }
}
