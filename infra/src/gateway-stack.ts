import { CfnCondition, CfnOutput, Fn, Stack, type StackProps, aws_ec2 as ec2 } from 'aws-cdk-lib';
import { edgeSecretReferences } from './constructs/edge-secret.js';
import type { Construct } from 'constructs';
import { GatewayAlarms } from './constructs/alarms.js';
import { GatewayCompute } from './constructs/compute.js';
import { GatewayData } from './constructs/data.js';
import { DeployAccess } from './constructs/deploy-access.js';
import { GatewayEdge } from './constructs/edge.js';
import { GatewayIdentity, METRICS_NAMESPACE } from './constructs/identity.js';
import { GatewayNetwork } from './constructs/network.js';
import { GatewayPipeline, PIPELINE_SOURCE_KEY } from './constructs/pipeline.js';
import type { GatewayStackConfig } from './stack-config.js';

export { GATEWAY_INTERNAL_PORT } from './constructs/network.js';
export { METRICS_NAMESPACE, SECRET_NAMES, readablePrefixes } from './constructs/identity.js';

export interface GatewayStackProps extends StackProps {
  config: GatewayStackConfig;
}

/**
 * The public half of the review assistant on AWS, assembled from one construct per concern:
 * network (VPC, security groups), data (bucket, tables, log group), identity (instance role, the
 * GitHub deploy role), compute (launch template, Auto Scaling group, ALB in `mode=ha`), edge
 * (CloudFront: HTTPS without a domain), alarms (topic, alarms, dashboard) and an optional
 * CodePipeline. See docs/ARCHITECTURE.md and docs/DEPLOY.md.
 */
export class GatewayStack extends Stack {
  readonly data: GatewayData;
  readonly identity: GatewayIdentity;
  readonly compute: GatewayCompute;
  readonly edge: GatewayEdge | undefined;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const { config } = props;
    const network = new GatewayNetwork(this, 'Network', { config });
    this.data = new GatewayData(this, 'Data', { config });
    const { bucket, logTable, registryTable, logGroup } = this.data;
    this.identity = new GatewayIdentity(this, 'Identity', { config, bucket, logTable, registryTable, logGroup });

    const address = config.mode === 'single' && config.ingress !== 'caddy' && config.elasticIp ? new ec2.CfnEIP(this, 'PublicAddress', { domain: 'vpc' }) : undefined;
    if (address) this.identity.allowElasticIpAssociation(address.attrAllocationId);

    // A random value in SSM Parameter Store (infra/scripts/edge-secret.sh): CloudFront sends the
    // pinned version, the ALB accepts it and the one before (edge locations switch over minutes),
    // the gateway reads it from SSM at every start. CloudFormation resolves the references at
    // deploy time and never shows their values.
    const edgeSecrets = config.edge === 'cloudfront' ? edgeSecretReferences(config.parameterPrefix, config.edgeSecretVersion) : undefined;
    this.compute = new GatewayCompute(this, 'Compute', {
      config,
      network,
      instanceProfile: this.identity.instanceProfile,
      edgeSecrets,
      elasticIpAllocationId: address?.attrAllocationId,
      boot: {
        region: this.region,
        bucketName: bucket.bucketName,
        releaseKey: config.releaseKey,
        intentModelKey: config.intentModelKey,
        tableName: logTable.tableName,
        logGroupName: logGroup.logGroupName,
        metricsNamespace: METRICS_NAMESPACE,
        secretParameters: this.identity.secretParameters,
        workerUrls: config.workerUrls,
        caddyVersion: config.caddyVersion,
        ...(config.domainName ? { domainName: config.domainName } : {}),
        ...(registryTable ? { workerRegistryTable: registryTable.tableName } : {}),
      },
    });
    const { autoScalingGroup, loadBalancer, targetGroup } = this.compute;

    if (config.edge === 'cloudfront' && edgeSecrets) {
      let originDomainName: string;
      if (loadBalancer) originDomainName = loadBalancer.loadBalancerDnsName;
      else if (address) originDomainName = this.publicDnsName(address);
      else throw new Error('CloudFront needs the Elastic IP or the load balancer as its origin');
      this.edge = new GatewayEdge(this, 'Edge', { originDomainName, edgeSecret: edgeSecrets.current });
    }

    const alarms = new GatewayAlarms(this, 'Alarms', { autoScalingGroup, targetGroup, alarmEmail: config.alarmEmail });

    if (config.githubRepository) {
      const access = new DeployAccess(this, 'DeployAccess', {
        repository: config.githubRepository,
        branch: config.githubBranch,
        providerArn: config.githubOidcProviderArn,
        bucket,
        releaseKey: config.releaseKey,
        autoScalingGroupName: autoScalingGroup.autoScalingGroupName,
      });
      new CfnOutput(this, 'DeployRoleArn', { value: access.role.roleArn, description: 'AWS_DEPLOY_ROLE_ARN for .github/workflows/deploy.yml' });
    }
    if (config.pipeline) {
      const pipeline = new GatewayPipeline(this, 'Pipeline', { bucket, releaseKey: config.releaseKey, autoScalingGroupName: autoScalingGroup.autoScalingGroupName });
      new CfnOutput(this, 'PipelineName', { value: pipeline.pipeline.pipelineName, description: `Upload a zip of the repository to s3://<bucket>/${PIPELINE_SOURCE_KEY}, then start this pipeline` });
    }

    // --- Outputs
    const url = this.edge
      ? `https://${this.edge.distribution.distributionDomainName}`
      : loadBalancer
        ? `https://${config.domainName ?? loadBalancer.loadBalancerDnsName}`
        : config.ingress === 'caddy'
          ? `https://${config.domainName}`
          : address
            ? `http://${address.attrPublicIp}`
            : 'http://<the instance public IP: see the EC2 console; elasticIp=false>';
    new CfnOutput(this, 'GatewayUrl', { value: url, description: 'Public URL of the gateway (also GATEWAY_URL for workers)' });
    if (address) new CfnOutput(this, 'PublicIp', { value: address.attrPublicIp, description: 'Elastic IP of the gateway instance (the CloudFront origin)' });
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName, description: 'Bucket of the intent model and gateway releases' });
    new CfnOutput(this, 'IntentModelUri', { value: `s3://${bucket.bucketName}/${config.intentModelKey}` });
    new CfnOutput(this, 'ReleaseUri', { value: `s3://${bucket.bucketName}/${config.releaseKey}` });
    new CfnOutput(this, 'TableName', { value: logTable.tableName, description: 'DynamoDB table of interaction logs' });
    if (registryTable) new CfnOutput(this, 'WorkerRegistryTableName', { value: registryTable.tableName, description: 'DynamoDB table of the shared worker registry' });
    new CfnOutput(this, 'LogGroupName', { value: logGroup.logGroupName });
    new CfnOutput(this, 'AutoScalingGroupName', { value: autoScalingGroup.autoScalingGroupName });
    if (targetGroup) new CfnOutput(this, 'TargetGroupArn', { value: targetGroup.targetGroupArn, description: 'Target group of the gateways (mode=ha); the rollout and edge-secret scripts wait for each restarted instance to be healthy in it' });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: alarms.dashboard.dashboardName });
    new CfnOutput(this, 'SecretParameters', {
      value: [...this.identity.secretParameters.required, ...this.identity.secretParameters.optional].join(','),
      description: 'Parameters the gateway reads (docs/DEPLOY.md step 2): WORKER_SHARED_SECRET required; EDGE_SECRET from infra/scripts/edge-secret.sh',
    });
  }

  /**
   * The public DNS name EC2 gives an Elastic IP: ec2-a-b-c-d.<region>.compute.amazonaws.com, and
   * ec2-a-b-c-d.compute-1.amazonaws.com in us-east-1 (EC2 User Guide, "Public IPv4 DNS hostnames").
   * CloudFront origins must be DNS names, not addresses.
   */
  private publicDnsName(address: ec2.CfnEIP): string {
    const dashed = Fn.join('-', Fn.split('.', address.attrPublicIp));
    const usEast1 = new CfnCondition(this, 'InUsEast1', { expression: Fn.conditionEquals(this.region, 'us-east-1') });
    return Fn.conditionIf(
      usEast1.logicalId,
      Fn.join('', ['ec2-', dashed, '.compute-1.amazonaws.com']),
      Fn.join('', ['ec2-', dashed, '.', this.region, '.compute.amazonaws.com']),
    ).toString();
  }
}
