import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  aws_autoscaling as autoscaling,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_logs as logs,
  aws_s3 as s3,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { GatewayStackConfig } from './stack-config.js';
import { renderBootScript } from './user-data.js';

/** CloudWatch namespace of the gateway's own metrics; the instance may publish nowhere else. */
export const METRICS_NAMESPACE = 'ReviewAssistant/Gateway';

/** Port the gateway process listens on behind Caddy or the ALB. */
export const GATEWAY_INTERNAL_PORT = 8080;

/** Secrets read at boot from SSM Parameter Store (SecureString), by environment variable name. */
export const SECRET_NAMES = { required: ['WORKER_SHARED_SECRET'], optional: ['ADMIN_TOKEN', 'API_KEYS'] } as const;

/** Bucket prefixes the instance may read. Everything else in the bucket stays private to deployers. */
export function readablePrefixes(config: Pick<GatewayStackConfig, 'intentModelKey' | 'releaseKey'>): string[] {
  const prefixOf = (key: string) => (key.includes('/') ? `${key.slice(0, key.lastIndexOf('/') + 1)}*` : key);
  return [...new Set([prefixOf(config.intentModelKey), prefixOf(config.releaseKey)])];
}

export interface GatewayStackProps extends StackProps {
  config: GatewayStackConfig;
}

/**
 * The public half of the review assistant on AWS: one self-healing t3.micro running the gateway
 * (an Auto Scaling group of exactly one instance), the intent model bucket, the interaction log
 * table, logs, alarms and a least-privilege instance role. See docs/ARCHITECTURE.md.
 */
export class GatewayStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly table: dynamodb.Table;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // --- Network: public subnets only, no NAT gateway (NAT costs ~$32/month; nothing here needs it)
    const vpc = new ec2.Vpc(this, 'Network', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      // Restricting the default group needs a Lambda-backed custom resource; nothing uses that group.
      restrictDefaultSecurityGroup: false,
    });

    // --- Data
    this.bucket = new s3.Bucket(this, 'Artifacts', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy,
      autoDeleteObjects: !config.retainData,
    });

    this.table = new dynamodb.Table(this, 'InteractionLog', {
      partitionKey: { name: 'sessionId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      // Provisioned capacity inside the always-free 25 RCU / 25 WCU; on-demand has no free requests.
      billingMode: dynamodb.BillingMode.PROVISIONED,
      readCapacity: config.tableReadCapacity,
      writeCapacity: config.tableWriteCapacity,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: config.retainData,
      removalPolicy,
    });

    this.logGroup = new logs.LogGroup(this, 'GatewayLogs', {
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // --- Identity: only what the gateway, the SSM agent and the CloudWatch agent use
    this.role = new iam.Role(this, 'GatewayRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Review assistant gateway instance: read its artifacts and secrets, write interaction logs',
      // Session Manager instead of SSH (no key pair, no port 22).
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    const instanceProfile = new iam.InstanceProfile(this, 'GatewayInstanceProfile', { role: this.role });

    const secretParameters = {
      required: SECRET_NAMES.required.map((name) => `${config.parameterPrefix}/${name}`),
      optional: SECRET_NAMES.optional.map((name) => `${config.parameterPrefix}/${name}`),
    };
    const parameterArn = (name: string) =>
      this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.slice(1), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });

    const address = config.ingress !== 'alb' && config.elasticIp ? new ec2.CfnEIP(this, 'PublicAddress', { domain: 'vpc' }) : undefined;

    const statements = [
      new iam.PolicyStatement({
        sid: 'ReadIntentModelAndGatewayRelease',
        actions: ['s3:GetObject'],
        resources: readablePrefixes(config).map((prefix) => this.bucket.arnForObjects(prefix)),
      }),
      new iam.PolicyStatement({
        sid: 'WriteAndQueryInteractionLog',
        actions: ['dynamodb:PutItem', 'dynamodb:Query'],
        resources: [this.table.tableArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadGatewaySecrets',
        actions: ['ssm:GetParameters'],
        resources: [...secretParameters.required, ...secretParameters.optional].map(parameterArn),
      }),
      new iam.PolicyStatement({
        sid: 'ShipGatewayLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [this.logGroup.logGroupArn],
      }),
      // PutMetricData has no resource-level permissions: AWS requires "*" and offers the
      // namespace condition key instead.
      new iam.PolicyStatement({
        sid: 'PublishGatewayMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    ];
    if (address) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'AttachOwnElasticIp',
          actions: ['ec2:AssociateAddress'],
          resources: [this.formatArn({ service: 'ec2', resource: 'elastic-ip', resourceName: address.attrAllocationId })],
        }),
        // Instance ids are not known before launch; the condition narrows "instance/*" to instances
        // started with this stack's instance profile.
        new iam.PolicyStatement({
          sid: 'AttachElasticIpToOwnInstance',
          actions: ['ec2:AssociateAddress'],
          resources: [this.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
          conditions: { ArnEquals: { 'ec2:InstanceProfile': instanceProfile.instanceProfileArn } },
        }),
      );
    }
    new iam.Policy(this, 'GatewayPolicy', { roles: [this.role], statements });

    // --- Network access: the public reaches the web port(s); no SSH; outbound HTTPS/HTTP only
    const securityGroup = new ec2.SecurityGroup(this, 'GatewaySecurityGroup', {
      vpc,
      description: 'Review assistant gateway instance',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs, workers over ngrok, packages');
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'package mirrors, ACME HTTP');
    if (config.ingress === 'direct') {
      securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'gateway (HTTP)');
    } else if (config.ingress === 'caddy') {
      securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'Caddy: ACME challenge and redirect');
      securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Caddy: HTTPS');
    }
    // ingress 'alb': the load balancer's group is allowed in by addTargets below, nobody else.

    // --- Compute
    const gatewayPort = config.ingress === 'direct' ? 80 : GATEWAY_INTERNAL_PORT;
    const gatewayHost = config.ingress === 'caddy' ? '127.0.0.1' : '0.0.0.0';
    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      renderBootScript({
        region: this.region,
        bucketName: this.bucket.bucketName,
        releaseKey: config.releaseKey,
        intentModelKey: config.intentModelKey,
        tableName: this.table.tableName,
        logGroupName: this.logGroup.logGroupName,
        metricsNamespace: METRICS_NAMESPACE,
        secretParameters,
        ingress: config.ingress,
        host: gatewayHost,
        port: gatewayPort,
        workerUrls: config.workerUrls,
        caddyVersion: config.caddyVersion,
        ...(address ? { elasticIpAllocationId: address.attrAllocationId } : {}),
        ...(config.domainName ? { domainName: config.domainName } : {}),
      }),
    );

    const launchTemplate = new ec2.LaunchTemplate(this, 'GatewayLaunchTemplate', {
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
      machineImage: ec2.MachineImage.latestAmazonLinux2023(),
      userData,
      instanceProfile,
      securityGroup,
      associatePublicIpAddress: true,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      // "standard" credits: a CPU-bound burst is throttled instead of billed (t3 defaults to unlimited).
      cpuCredits: ec2.CpuCredits.STANDARD,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(8, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true, deleteOnTermination: true }),
        },
      ],
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'GatewayGroup', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      launchTemplate,
      minCapacity: 1,
      maxCapacity: 1,
      healthChecks:
        config.ingress === 'alb'
          ? autoscaling.HealthChecks.withAdditionalChecks({
              additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
              gracePeriod: Duration.minutes(5),
            })
          : autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
      // One instance: a launch template change replaces it (a short outage, documented).
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({ minInstancesInService: 0, maxBatchSize: 1 }),
      groupMetrics: [autoscaling.GroupMetrics.all()],
    });

    // --- Optional load balancer (not in the Free Tier: ~$16/month plus LCUs)
    let loadBalancer: elbv2.ApplicationLoadBalancer | undefined;
    let targetGroup: elbv2.ApplicationTargetGroup | undefined;
    if (config.ingress === 'alb') {
      loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
        vpc,
        internetFacing: true,
        // Chat streams can be silent while a cold model loads on the worker.
        idleTimeout: Duration.seconds(120),
        dropInvalidHeaderFields: true,
      });
      const targets = {
        port: GATEWAY_INTERNAL_PORT,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targets: [this.autoScalingGroup],
        deregistrationDelay: Duration.seconds(30),
        healthCheck: { path: '/healthz', healthyHttpCodes: '200', interval: Duration.seconds(30) },
      };
      if (config.certificateArn) {
        const https = loadBalancer.addListener('Https', {
          port: 443,
          protocol: elbv2.ApplicationProtocol.HTTPS,
          certificates: [elbv2.ListenerCertificate.fromArn(config.certificateArn)],
          sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        });
        targetGroup = https.addTargets('Gateway', targets);
        loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });
      } else {
        targetGroup = loadBalancer.addListener('Http', { port: 80 }).addTargets('Gateway', targets);
      }
    }

    // --- Alarms (free tier: 10 alarm metrics; these read 7, or 9 with the ALB)
    const topic = new sns.Topic(this, 'Alarms', { displayName: 'Review assistant gateway alarms', enforceSSL: true });
    if (config.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    const alarmAction = new cloudwatchActions.SnsAction(topic);
    const groupDimensions = { AutoScalingGroupName: this.autoScalingGroup.autoScalingGroupName };
    const alarm = (id: string, metric: cloudwatch.Metric | cloudwatch.MathExpression, props: Omit<cloudwatch.CreateAlarmOptions, 'alarmDescription'> & { description: string }) => {
      const { description, ...options } = props;
      const created = metric.createAlarm(this, id, { alarmDescription: description, ...options });
      created.addAlarmAction(alarmAction);
      created.addOkAction(alarmAction);
      return created;
    };
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD;
    const ec2Metric = (metricName: string, statistic: string, period: Duration) =>
      new cloudwatch.Metric({ namespace: 'AWS/EC2', metricName, dimensionsMap: groupDimensions, statistic, period });

    alarm('CpuHigh', ec2Metric('CPUUtilization', 'Average', Duration.minutes(5)), {
      description: 'Gateway CPU at or above 80% for 15 minutes',
      threshold: 80,
      evaluationPeriods: 3,
      comparisonOperator: above,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // t3 "standard" instances start with no credits, so a bare low-balance alarm would fire after
    // every launch. What matters is demand above the 10% baseline with the balance nearly spent:
    // that is when the instance is being throttled.
    alarm(
      'CpuThrottled',
      new cloudwatch.MathExpression({
        expression: 'IF(credits < 20 AND cpu >= 10, 1, 0)',
        usingMetrics: {
          credits: ec2Metric('CPUCreditBalance', 'Minimum', Duration.minutes(5)),
          cpu: ec2Metric('CPUUtilization', 'Average', Duration.minutes(5)),
        },
        period: Duration.minutes(5),
        label: 'throttled to the CPU baseline',
      }),
      {
        description: 'Gateway needs more than its 10% t3 CPU baseline and has almost no credits left: it is being throttled',
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: above,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    alarm('StatusCheckFailed', ec2Metric('StatusCheckFailed', 'Maximum', Duration.minutes(5)), {
      description: 'Gateway instance or system status check failing',
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: above,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm(
      'NoInstanceInService',
      new cloudwatch.Metric({
        namespace: 'AWS/AutoScaling',
        metricName: 'GroupInServiceInstances',
        dimensionsMap: groupDimensions,
        statistic: 'Minimum',
        period: Duration.minutes(1),
      }),
      {
        description: 'No gateway instance in service',
        threshold: 1,
        evaluationPeriods: 5,
        comparisonOperator: below,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
    alarm(
      'MemoryHigh',
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'mem_used_percent', statistic: 'Average', period: Duration.minutes(5) }),
      {
        description: 'Gateway instance memory at or above 90% (1 GiB host)',
        threshold: 90,
        evaluationPeriods: 2,
        comparisonOperator: above,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    // One structured (pino) line per request carries the status code; count the 5xx ones.
    const serverErrors = this.logGroup.addMetricFilter('ServerErrorFilter', {
      filterPattern: logs.FilterPattern.numberValue('$.status', '>=', 500),
      metricNamespace: METRICS_NAMESPACE,
      metricName: 'ServerErrors',
      metricValue: '1',
      defaultValue: 0,
    });
    alarm('ServerErrors', serverErrors.metric({ statistic: 'Sum', period: Duration.minutes(5) }), {
      description: 'Gateway answered 5 or more requests with a 5xx status in 5 minutes',
      threshold: 5,
      evaluationPeriods: 1,
      comparisonOperator: above,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (targetGroup) {
      alarm('UnhealthyTarget', targetGroup.metrics.unhealthyHostCount({ statistic: 'Maximum', period: Duration.minutes(1) }), {
        description: 'The load balancer sees the gateway as unhealthy',
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: above,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(
        'Target5xx',
        targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum', period: Duration.minutes(5) }),
        {
          description: 'Gateway returned 5 or more 5xx responses through the load balancer in 5 minutes',
          threshold: 5,
          evaluationPeriods: 1,
          comparisonOperator: above,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      );
    }

    // --- Outputs
    const url =
      config.ingress === 'alb' && loadBalancer
        ? `${config.certificateArn ? 'https' : 'http'}://${config.domainName ?? loadBalancer.loadBalancerDnsName}`
        : config.ingress === 'caddy'
          ? `https://${config.domainName}`
          : address
            ? `http://${address.attrPublicIp}`
            : 'http://<the instance public IP: see the EC2 console; elasticIp=false>';
    new CfnOutput(this, 'GatewayUrl', { value: url, description: 'Public URL of the gateway (also GATEWAY_URL for workers)' });
    if (address) {
      new CfnOutput(this, 'PublicIp', { value: address.attrPublicIp, description: 'Elastic IP of the gateway (DNS A record, ngrok allow-list)' });
    }
    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName, description: 'Bucket of the intent model and gateway releases' });
    new CfnOutput(this, 'IntentModelUri', { value: `s3://${this.bucket.bucketName}/${config.intentModelKey}` });
    new CfnOutput(this, 'ReleaseUri', { value: `s3://${this.bucket.bucketName}/${config.releaseKey}` });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'DynamoDB table of interaction logs' });
    new CfnOutput(this, 'LogGroupName', { value: this.logGroup.logGroupName });
    new CfnOutput(this, 'AutoScalingGroupName', { value: this.autoScalingGroup.autoScalingGroupName });
    new CfnOutput(this, 'AlarmTopicArn', { value: topic.topicArn });
    new CfnOutput(this, 'SecretParameters', {
      value: [...secretParameters.required, ...secretParameters.optional].join(','),
      description: 'Create these as SecureString parameters (WORKER_SHARED_SECRET is required)',
    });
  }
}
