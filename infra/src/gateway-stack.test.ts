import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { gatewayConfigSpec, SSE_KEEP_ALIVE_MS } from '@review-assistant/cloud-gateway';
import { CONNECTION_DRAINING, LOAD_BALANCER_IDLE_TIMEOUT } from './constructs/compute.js';
import { ORIGIN_READ_TIMEOUT } from './constructs/edge.js';
import { PIPELINE_TEST_IMAGE } from './constructs/pipeline.js';
import { LOG_TABLE_ACTIONS, REGISTRY_TABLE_ACTIONS } from './constructs/identity.js';
import { GatewayStack, METRICS_NAMESPACE } from './gateway-stack.js';
import { readStackConfig } from './stack-config.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
}
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
}

function synthesizeStack(context: Record<string, unknown> = {}) {
  const app = new App({ context });
  return new GatewayStack(app, 'TestGateway', {
    config: readStackConfig((key) => app.node.tryGetContext(key)),
  });
}

function synthesize(context: Record<string, unknown> = {}) {
  const template = Template.fromStack(synthesizeStack(context));
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const logicalId = (type: string) => {
    const ids = Object.keys(resources).filter((id) => resources[id]?.Type === type);
    expect(ids, `exactly one ${type}`).toHaveLength(1);
    return ids[0] as string;
  };
  return { template, resources, logicalId };
}

/** Renders CloudFormation intrinsics as readable strings: {Fn::GetAtt: [X, Arn]} → "${X.Arn}". */
function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join)) {
      const [separator, parts] = join as [string, Json[]];
      return parts.map(render).join(separator);
    }
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `\${${getAtt.join('.')}}`;
    const base64 = value['Fn::Base64'];
    if (base64 !== undefined) return render(base64);
    const ref = value['Ref'];
    if (typeof ref === 'string') return `\${${ref}}`;
  }
  return JSON.stringify(value);
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * Every statement that reaches the gateway role, wherever CloudFormation lets it live: `Policies`
 * inline on the role itself, `AWS::IAM::RolePolicy` (RoleName), and `AWS::IAM::Policy` /
 * `AWS::IAM::ManagedPolicy` resources that list the role.
 */
function roleStatements(resources: Record<string, Resource>, roleId: string): Statement[] {
  const document = (value: Json | undefined) => (value as unknown as { Statement: Statement[] } | undefined)?.Statement ?? [];
  const mentionsRole = (value: Json | undefined) => JSON.stringify(value ?? []).includes(`"${roleId}"`);
  const onRole = ((resources[roleId]?.Properties?.['Policies'] ?? []) as { PolicyDocument: Json }[]).flatMap((policy) => document(policy.PolicyDocument));
  const attached = Object.values(resources)
    .filter(
      (resource) =>
        ((resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') && mentionsRole(resource.Properties?.['Roles'])) ||
        (resource.Type === 'AWS::IAM::RolePolicy' && mentionsRole(resource.Properties?.['RoleName'])),
    )
    .flatMap((resource) => document(resource.Properties?.['PolicyDocument']));
  return [...onRole, ...attached];
}

function statementsBySid(statements: Statement[]) {
  return Object.fromEntries(
    statements.map((statement) => [
      statement.Sid ?? '(no sid)',
      {
        effect: statement.Effect,
        actions: asList(statement.Action).sort(),
        resources: asList(statement.Resource).map(render).sort(),
        condition: statement.Condition,
      },
    ]),
  );
}

/** Ingress rules from security groups' inline rules and standalone ingress resources, with their group. */
function ingressRules(resources: Record<string, Resource>): (Record<string, Json> & { group: string })[] {
  const inline = Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::EC2::SecurityGroup')
    .flatMap(([id, resource]) =>
      ((resource.Properties?.['SecurityGroupIngress'] as Record<string, Json>[] | undefined) ?? []).map((rule) => ({ ...rule, group: id })),
    );
  const standalone = Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::EC2::SecurityGroupIngress')
    .map((resource) => {
      const rule = resource.Properties as Record<string, Json>;
      return { ...rule, group: render(rule['GroupId'] as Json).replace(/^\$\{(.*)\.GroupId\}$/, '$1') };
    });
  return [...inline, ...standalone];
}

/** Egress rules from security groups' inline rules and standalone egress resources, with their group. */
function egressRules(resources: Record<string, Resource>): (Record<string, Json> & { group: string })[] {
  const inline = Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::EC2::SecurityGroup')
    .flatMap(([id, resource]) =>
      ((resource.Properties?.['SecurityGroupEgress'] as Record<string, Json>[] | undefined) ?? []).map((rule) => ({ ...rule, group: id })),
    );
  const standalone = Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::EC2::SecurityGroupEgress')
    .map((resource) => {
      const rule = resource.Properties as Record<string, Json>;
      return { ...rule, group: render(rule['GroupId'] as Json).replace(/^\$\{(.*)\.GroupId\}$/, '$1') };
    });
  return [...inline, ...standalone];
}

/** The metric each alarm watches; a metric-math alarm is shown as its metrics joined with "+". */
function alarmMetrics(alarms: Resource[]): string[] {
  return alarms
    .map((alarm) => {
      const single = alarm.Properties?.['MetricName'];
      if (typeof single === 'string') return single;
      const queries = (alarm.Properties?.['Metrics'] ?? []) as { MetricStat?: { Metric: { MetricName: string } } }[];
      return queries
        .map((query) => query.MetricStat?.Metric.MetricName)
        .filter((name): name is string => name !== undefined)
        .sort()
        .join('+');
    })
    .sort();
}

const coversPort = (rule: Record<string, Json>, port: number) =>
  rule['IpProtocol'] === '-1' || (Number(rule['FromPort']) <= port && port <= Number(rule['ToPort']));


/** Where AWS offers no resource ARN for an action, "*" is the only possible resource. */
const NO_RESOURCE_LEVEL = /^(cloudwatch:PutMetricData|ssmmessages:\w+|ec2messages:\w+)$/;

/** Asserts the least-privilege rules every mode must keep. */
function expectLeastPrivilege(statements: Statement[]) {
  expect(statements.length).toBeGreaterThan(0);
  for (const statement of statements) {
    for (const action of asList(statement.Action)) expect(action, `action of ${statement.Sid}`).not.toContain('*');
    if (statement.Effect !== 'Allow') continue;
    if (asList(statement.Resource).includes('*')) {
      for (const action of asList(statement.Action)) expect(action, `${statement.Sid} on "*"`).toMatch(NO_RESOURCE_LEVEL);
    }
    // the AmazonSSMManagedInstanceCore problem: parameter reads on every parameter of the account
    const readsParameters = asList(statement.Action).some((action) => /^ssm:GetParameter/.test(action));
    if (readsParameters) for (const resource of asList(statement.Resource).map(render)) expect(resource).not.toMatch(/(^\*$|parameter\/\*$|parameter\/?$)/);
  }
}

const parameter = (name: string) => `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/review-assistant/${name}`;
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_AND_CLOUDFRONT_HEADERS = '33f36d7e-f396-46d9-90e0-52428a34d9dc';

describe('GatewayStack (defaults: one t3.micro behind CloudFront, HTTPS without a domain)', () => {
  const { template, resources, logicalId } = synthesize();
  const bucket = logicalId('AWS::S3::Bucket');
  const table = logicalId('AWS::DynamoDB::Table');
  const logGroup = logicalId('AWS::Logs::LogGroup');
  const role = Object.keys(resources).find((id) => resources[id]?.Type === 'AWS::IAM::Role' && render(resources[id]?.Properties?.['AssumeRolePolicyDocument'] as Json).includes('ec2.amazonaws.com')) as string;
  const profile = logicalId('AWS::IAM::InstanceProfile');
  const address = logicalId('AWS::EC2::EIP');
  const distribution = logicalId('AWS::CloudFront::Distribution');
  const userData = () => render((resources[logicalId('AWS::EC2::LaunchTemplate')]?.Properties?.['LaunchTemplateData'] as Record<string, Json>)['UserData']!);

  it('launches a t3.micro with IMDSv2 required, standard CPU credits and no key pair', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 't3.micro',
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        CreditSpecification: { CpuCredits: 'standard' },
        KeyName: Match.absent(),
      }),
    });
  });

  it('runs the gateway in a self-healing Auto Scaling group of exactly one instance, no NAT, no ALB', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '1', MaxSize: '1', HealthCheckType: 'EC2' });
    template.resourceCountIs('AWS::EC2::Instance', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
  });

  it('serves HTTPS through CloudFront: HTTP redirected, nothing dynamic cached, every viewer header (WebSocket upgrade, Authorization) passed on', () => {
    const config = resources[distribution]?.Properties?.['DistributionConfig'] as Record<string, Json>;
    const behavior = config['DefaultCacheBehavior'] as Record<string, Json>;
    expect(behavior).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_AND_CLOUDFRONT_HEADERS,
      Compress: false,
    });
    expect(behavior['AllowedMethods']).toEqual(expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']));
    // only the UI's and the docs' static files may be cached
    const cached = (config['CacheBehaviors'] as Record<string, Json>[]).map((entry) => entry['PathPattern']).sort();
    expect(cached).toEqual(['/docs/assets/*', '/ui/*']);
    const [origin] = config['Origins'] as Record<string, Json>[];
    expect(origin?.['CustomOriginConfig']).toMatchObject({ OriginProtocolPolicy: 'http-only', HTTPPort: 80, OriginReadTimeout: 60 });
    // the origin is the Elastic IP's public DNS name
    const domainName = JSON.stringify(origin?.['DomainName']);
    expect(domainName).toContain(JSON.stringify({ 'Fn::GetAtt': [address, 'PublicIp'] }));
    expect(domainName).toContain('.compute.amazonaws.com');
    // the random edge secret from SSM (edge-secret.sh), pinned to a version, resolved only at deploy time
    const secretHeader = (origin?.['OriginCustomHeaders'] as Record<string, Json>[]).find((header) => header['HeaderName'] === 'X-Origin-Verify');
    expect(secretHeader?.['HeaderValue']).toBe('{{resolve:ssm:/review-assistant/EDGE_SECRET:1}}');
  });

  it('keeps the edge secret out of the template, user data and outputs (nothing derived from the stack id)', () => {
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/"Fn::Split":\["\/",\{"Ref":"AWS::StackId"\}\]/);
    expect(userData()).not.toContain('EDGE_SECRET=');
    for (const output of Object.values(template.findOutputs('*'))) expect(JSON.stringify(output['Value'])).not.toContain('resolve:ssm:');
    // the instance reads it at start: a required parameter (the gateway will not start without it)
    expect(userData()).toMatch(/REQUIRED_PARAMETERS=\('\/review-assistant\/WORKER_SHARED_SECRET' '\/review-assistant\/EDGE_SECRET'\)/);
    expect(userData()).toContain("'/review-assistant/EDGE_SECRET_PREVIOUS'");
  });

  it('sends the version of the edge secret that edgeSecretVersion names', () => {
    const rotated = synthesize({ edgeSecretVersion: '3' });
    const config = rotated.resources[rotated.logicalId('AWS::CloudFront::Distribution')]?.Properties?.['DistributionConfig'] as Record<string, Json>;
    const [origin] = config['Origins'] as Record<string, Json>[];
    expect((origin?.['OriginCustomHeaders'] as Record<string, Json>[])[0]?.['HeaderValue']).toBe('{{resolve:ssm:/review-assistant/EDGE_SECRET:3}}');
    expect(() => synthesize({ edgeSecretVersion: '0' })).toThrow(/edgeSecretVersion/);
  });

  it('opens port 80 to CloudFront\'s origin-facing prefix list only, and never SSH', () => {
    const rules = ingressRules(resources);
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ FromPort: 80, ToPort: 80, IpProtocol: 'tcp' });
    expect(rules[0]?.['CidrIp']).toBeUndefined();
    expect(render(rules[0]?.['SourcePrefixListId'] as Json)).toContain('CloudFrontPrefixList');
    // the lookup asks EC2 for the managed list by its documented name
    const lookup = Object.values(resources).find((resource) => resource.Type === 'Custom::AWS');
    expect(render(lookup?.Properties?.['Update'] as Json)).toContain('com.amazonaws.global.cloudfront.origin-facing');
    for (const rule of rules) expect(coversPort(rule, 22)).toBe(false);
  });

  it('takes a given prefix list id instead of looking it up', () => {
    const given = synthesize({ cloudFrontPrefixListId: 'pl-3b927c52' });
    expect(ingressRules(given.resources).map((rule) => rule['SourcePrefixListId'])).toEqual(['pl-3b927c52']);
    expect(Object.values(given.resources).some((resource) => resource.Type === 'Custom::AWS')).toBe(false);
  });

  it('lets the instance talk out only on 80 and 443 (TCP)', () => {
    const rules = egressRules(resources);
    expect(rules.map((rule) => [rule['IpProtocol'], rule['FromPort'], rule['ToPort'], rule['CidrIp']]).sort()).toEqual([
      ['tcp', 443, 443, '0.0.0.0/0'],
      ['tcp', 80, 80, '0.0.0.0/0'],
    ]);
  });

  it('gives the instance role exactly the least-privilege statements it needs, and no managed policy', () => {
    const statements = roleStatements(resources, role);
    expect(statementsBySid(statements)).toEqual({
      ReadIntentModelAndGatewayRelease: { effect: 'Allow', actions: ['s3:GetObject'], resources: [`\${${bucket}.Arn}/intent/*`, `\${${bucket}.Arn}/releases/*`], condition: undefined },
      WriteAndQueryInteractionLog: {
        effect: 'Allow',
        actions: [...LOG_TABLE_ACTIONS].sort(),
        resources: [`\${${table}.Arn}`, `\${${table}.Arn}/index/byDay`],
        condition: undefined,
      },
      ReadGatewaySecrets: {
        effect: 'Allow',
        actions: ['ssm:GetParameters'],
        resources: [parameter('ADMIN_TOKEN'), parameter('API_KEYS'), parameter('EDGE_SECRET'), parameter('EDGE_SECRET_PREVIOUS'), parameter('WORKER_SHARED_SECRET')],
        condition: undefined,
      },
      DenyParametersOutsideThePrefix: {
        effect: 'Deny',
        actions: ['ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
        // NotResource, below
        resources: [undefined],
        condition: undefined,
      },
      ShipGatewayLogs: { effect: 'Allow', actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], resources: [`\${${logGroup}.Arn}`], condition: undefined },
      PublishGatewayMetrics: { effect: 'Allow', actions: ['cloudwatch:PutMetricData'], resources: ['*'], condition: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } } },
      RegisterWithSsm: {
        effect: 'Allow',
        actions: ['ssm:UpdateInstanceInformation'],
        resources: [`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:instance/*`],
        condition: undefined,
      },
      SsmAgentChannels: {
        effect: 'Allow',
        actions: [
          'ec2messages:AcknowledgeMessage',
          'ec2messages:DeleteMessage',
          'ec2messages:FailMessage',
          'ec2messages:GetEndpoint',
          'ec2messages:GetMessages',
          'ec2messages:SendReply',
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        resources: ['*'],
        condition: undefined,
      },
      AttachOwnElasticIp: {
        effect: 'Allow',
        actions: ['ec2:AssociateAddress'],
        resources: [`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:elastic-ip/\${${address}.AllocationId}`],
        condition: undefined,
      },
      AttachElasticIpToOwnInstance: {
        effect: 'Allow',
        actions: ['ec2:AssociateAddress'],
        resources: [`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:instance/*`],
        condition: { ArnEquals: { 'ec2:InstanceProfile': { 'Fn::GetAtt': [profile, 'Arn'] } } },
      },
    });
    const deny = statements.find((statement) => statement.Sid === 'DenyParametersOutsideThePrefix') as Statement & { NotResource?: Json };
    expect(asList(deny.NotResource as Json).map(render)).toEqual([parameter('*')]);
    expect(resources[role]?.Properties?.['ManagedPolicyArns']).toBeUndefined();
  });

  it('allows no statement to read parameters on "*", no wildcard action, "*" only where AWS has no resource ARN', () => {
    expectLeastPrivilege(roleStatements(resources, role));
  });

  it('keeps the artifact bucket private, encrypted, versioned and SSL-only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });

  it('builds the interaction log from the shared table definition, in the free tier (no point-in-time recovery unless asked)', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'sessionId', KeyType: 'HASH' },
        { AttributeName: 'createdAt', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'byDay',
          KeySchema: [
            { AttributeName: 'day', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
    const withBackups = synthesize({ pointInTimeRecovery: 'true' });
    withBackups.template.hasResourceProperties('AWS::DynamoDB::Table', { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
  });

  it('raises the alarms, each wired to the topic, within the free ten alarm metrics', () => {
    const alarms = Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm');
    expect(alarmMetrics(alarms)).toEqual([
      'CPUCreditBalance+CPUUtilization',
      'CPUUtilization',
      'GroupInServiceInstances',
      'ServerErrors',
      'StatusCheckFailed',
      'WorkersOnline',
      'mem_used_percent',
    ]);
    const topic = logicalId('AWS::SNS::Topic');
    for (const alarm of alarms) expect(alarm.Properties?.['AlarmActions']).toEqual([{ Ref: topic }]);
    expect(alarmMetrics(alarms).flatMap((name) => name.split('+')).length).toBeLessThanOrEqual(10);
  });

  it('alarms when no worker has been online for 10 minutes, counting silence as none', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'WorkersOnline',
      Namespace: METRICS_NAMESPACE,
      Period: 60,
      EvaluationPeriods: 10,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('alarms on a low CPU credit balance while the CPU wants more than its baseline', () => {
    const throttled = Object.values(resources).find((resource) => resource.Type === 'AWS::CloudWatch::Alarm' && resource.Properties?.['Metrics'] !== undefined);
    const metrics = throttled?.Properties?.['Metrics'] as { Expression?: string }[];
    expect(metrics.find((metric) => metric.Expression)?.Expression).toBe('IF(credits < 20 AND cpu >= 10, 1, 0)');
  });

  it('draws a dashboard of the gateway\'s EMF metrics and the instance\'s CPU credits, memory and disk', () => {
    const body = render(resources[logicalId('AWS::CloudWatch::Dashboard')]?.Properties?.['DashboardBody'] as Json);
    for (const metric of ['ChatTurns', 'TimeToFirstToken', 'IntentConfidence', 'WorkersOnline', 'ServerErrors', 'CPUCreditBalance', 'CPUUtilization', 'mem_used_percent', 'disk_used_percent']) {
      expect(body, metric).toContain(`"${metric}"`);
    }
    expect(body).toContain('"Route","worker","Status","error"');
  });

  it('boots Node 22 with the production environment behind CloudFront and no secret in user data', () => {
    const text = userData();
    expect(text).toContain('dnf install -y nodejs22');
    expect(text).toContain('/usr/bin/node-22');
    expect(text).toContain('LOG_STORE=dynamodb');
    expect(text).toContain(`LOG_TABLE=\${${table}}`);
    expect(text).toContain(`INTENT_MODEL_URI=s3://\${${bucket}}/intent/intent-model.bin.gz`);
    expect(text).toContain('HOST=0.0.0.0');
    expect(text).toContain('PORT=80\n');
    expect(text).toContain('CLOUDWATCH_EMF=true');
    expect(text).toContain('REQUIRE_HTTPS=true');
    expect(text).toContain('TRUST_PROXY=true');
    expect(text).toContain('FORWARDED_PROTO_HEADER=cloudfront-forwarded-proto');
    expect(text).not.toMatch(/WORKER_SHARED_SECRET=\S/);
    expect(text).not.toMatch(/ADMIN_TOKEN=\S/);
  });

  it('outputs the HTTPS URL of the distribution, the bucket and the table', () => {
    const outputs = template.findOutputs('*');
    expect(render(outputs['GatewayUrl']?.['Value'] as Json)).toBe(`https://\${${distribution}.DomainName}`);
    expect(outputs['BucketName']?.['Value']).toEqual({ Ref: bucket });
    expect(outputs['TableName']?.['Value']).toEqual({ Ref: table });
    // one instance, no load balancer: the restart scripts gate on GatewayUrl instead
    expect(outputs['TargetGroupArn']).toBeUndefined();
  });
});

describe('edge timeouts and the gateway\'s stream keep-alive', () => {
  it('keep a silent stream alive through CloudFront and the ALB, and drain longer than a chat turn may run', () => {
    // the gateway writes an SSE comment after SSE_KEEP_ALIVE_MS of silence; two of them fit in
    // each edge's timeout, so one lost to timing still leaves the connection busy
    expect(SSE_KEEP_ALIVE_MS * 2).toBeLessThan(ORIGIN_READ_TIMEOUT.toMilliseconds());
    expect(SSE_KEEP_ALIVE_MS * 2).toBeLessThan(LOAD_BALANCER_IDLE_TIMEOUT.toMilliseconds());
    expect(CONNECTION_DRAINING.toMilliseconds()).toBeGreaterThan(gatewayConfigSpec.requestBudgetMs.default as number);
  });
});

describe('GatewayStack with cloudFront=false (plain HTTP, opt-out)', () => {
  const { resources, template } = synthesize({ cloudFront: 'false' });

  it('opens only HTTP to the world, never SSH, and has no distribution', () => {
    const rules = ingressRules(resources);
    expect(rules.map((rule) => [rule['FromPort'], rule['ToPort'], rule['CidrIp']])).toEqual([[80, 80, '0.0.0.0/0']]);
    template.resourceCountIs('AWS::CloudFront::Distribution', 0);
  });
});

describe('GatewayStack in the load-balanced mode (mode=ha)', () => {
  const { template, resources, logicalId } = synthesize({ mode: 'ha' });
  const role = Object.keys(resources).find((id) => resources[id]?.Type === 'AWS::IAM::Role' && render(resources[id]?.Properties?.['AssumeRolePolicyDocument'] as Json).includes('ec2.amazonaws.com')) as string;
  const tables = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::DynamoDB::Table');

  it('runs 2–4 t3.micro across two AZs, health-checked by the load balancer', () => {
    const group = Object.values(resources).find((resource) => resource.Type === 'AWS::AutoScaling::AutoScalingGroup');
    expect(group?.Properties).toMatchObject({ MinSize: '2', MaxSize: '4', HealthCheckType: 'ELB' });
    expect(group?.Properties?.['VPCZoneIdentifier']).toHaveLength(2);
  });

  it('outputs the target group, in which the restart scripts wait for each restarted instance', () => {
    const output = template.findOutputs('TargetGroupArn')['TargetGroupArn'];
    const targetGroup = Object.keys(resources).find((id) => resources[id]?.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(output?.['Value']).toEqual({ Ref: targetGroup });
  });

  it('scales on CPU with target tracking', () => {
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: Match.objectLike({ PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50 }),
    });
  });

  it('health-checks /readyz and drains connections long enough for a chat stream', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      HealthCheckPath: '/readyz',
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '200' }]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '120' }]),
    });
  });

  it('puts CloudFront in front of the ALB: only requests with the edge secret are forwarded, and only CloudFront reaches the ALB', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, DefaultActions: [Match.objectLike({ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '403' }) })] });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Origin-Verify', Values: ['{{resolve:ssm:/review-assistant/EDGE_SECRET:1}}'] } }],
    });
    // after a rotation the ALB accepts the new version and the one before, while edge locations switch over
    Template.fromStack(synthesizeStack({ mode: 'ha', edgeSecretVersion: '4' })).hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [
        { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Origin-Verify', Values: ['{{resolve:ssm:/review-assistant/EDGE_SECRET:4}}', '{{resolve:ssm:/review-assistant/EDGE_SECRET:3}}'] } },
      ],
    });
    const distribution = resources[logicalId('AWS::CloudFront::Distribution')]?.Properties?.['DistributionConfig'] as Record<string, Json>;
    const [origin] = distribution['Origins'] as Record<string, Json>[];
    expect(render(origin?.['DomainName'] as Json)).toContain('DNSName');
    const groups = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::EC2::SecurityGroup');
    const instanceGroup = groups.find(([, resource]) => resource.Properties?.['GroupDescription'] === 'Review assistant gateway instance')?.[0];
    const balancerGroup = groups.find(([, resource]) => resource.Properties?.['GroupDescription'] === 'Review assistant load balancer')?.[0];
    const rules = ingressRules(resources);
    const toInstance = rules.filter((rule) => rule.group === instanceGroup);
    expect(toInstance).toHaveLength(1);
    expect(toInstance[0]).toMatchObject({ FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: { 'Fn::GetAtt': [balancerGroup, 'GroupId'] } });
    const toBalancer = rules.filter((rule) => rule.group === balancerGroup);
    expect(toBalancer.map((rule) => [rule['FromPort'], rule['CidrIp']])).toEqual([[80, undefined]]);
    expect(render(toBalancer[0]?.['SourcePrefixListId'] as Json)).toContain('CloudFrontPrefixList');
    for (const rule of rules) expect(coversPort(rule, 22)).toBe(false);
    template.resourceCountIs('AWS::EC2::EIP', 0);
  });

  it('adds the worker-registry table from the shared definition, with least-privilege access', () => {
    expect(tables).toHaveLength(2);
    const registry = tables.find(([, resource]) => JSON.stringify(resource.Properties?.['KeySchema']).includes('"pk"'));
    expect(registry?.[1].Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    const statements = statementsBySid(roleStatements(resources, role));
    expect(statements['SharedWorkerRegistry']).toEqual({
      effect: 'Allow',
      actions: [...REGISTRY_TABLE_ACTIONS].sort(),
      resources: [`\${${registry?.[0]}.Arn}`],
      condition: undefined,
    });
    const userData = render((resources[logicalId('AWS::EC2::LaunchTemplate')]?.Properties?.['LaunchTemplateData'] as Record<string, Json>)['UserData']!);
    expect(userData).toContain('WORKER_REGISTRY=dynamodb');
    expect(userData).toContain(`WORKER_REGISTRY_TABLE=\${${registry?.[0]}}`);
  });

  it('grants no wildcard permissions', () => {
    expectLeastPrivilege(roleStatements(resources, role));
    const actions = roleStatements(resources, role).flatMap((statement) => asList(statement.Action));
    expect(actions).not.toContain('ec2:AssociateAddress');
  });

  it('adds target health alarms', () => {
    const metrics = alarmMetrics(Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm'));
    expect(metrics).toContain('UnHealthyHostCount');
    expect(metrics.flatMap((name) => name.split('+')).length).toBeLessThanOrEqual(10);
  });
});

describe('GatewayStack in the load-balanced mode with a domain and an ACM certificate', () => {
  const { template, resources } = synthesize({ mode: 'ha', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc', domainName: 'chat.example.com' });

  it('terminates HTTPS at the ALB, redirects HTTP, and needs no CloudFront', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, DefaultActions: [Match.objectLike({ Type: 'redirect' })] });
    template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    const userData = render(Object.values(resources).find((resource) => resource.Type === 'AWS::EC2::LaunchTemplate')?.Properties?.['LaunchTemplateData'] as Json);
    expect(userData).toContain('FORWARDED_PROTO_HEADER=x-forwarded-proto');
    expect(userData).not.toContain('EDGE_SECRET=');
    // no CloudFront, no edge secret to wait for at start
    expect(userData).not.toContain('/review-assistant/EDGE_SECRET');
    expect(render(template.findOutputs('GatewayUrl')['GatewayUrl']?.['Value'] as Json)).toBe('https://chat.example.com');
  });
});

describe('GatewayStack deploy access and pipeline', () => {
  const { template, resources } = synthesize({ githubRepository: 'octo-org/review-assistant', pipeline: 'true' });

  it('trusts GitHub OIDC tokens of one repository and branch only', () => {
    const deployRole = Object.values(resources).find(
      (resource) => resource.Type === 'AWS::IAM::Role' && render(resource.Properties?.['AssumeRolePolicyDocument'] as Json).includes('token.actions.githubusercontent.com'),
    );
    const trust = (deployRole?.Properties?.['AssumeRolePolicyDocument'] as { Statement: { Action: string; Condition: Record<string, Record<string, string>> }[] }).Statement[0];
    expect(trust?.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(trust?.Condition['StringEquals']).toEqual({
      'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
      'token.actions.githubusercontent.com:sub': 'repo:octo-org/review-assistant:ref:refs/heads/main',
    });
    template.hasResourceProperties('Custom::AWSCDKOpenIdConnectProvider', { Url: 'https://token.actions.githubusercontent.com' });
    expect(template.findOutputs('DeployRoleArn')).not.toEqual({});
  });

  it('lets the deploy role publish releases, run the rollout on this stack\'s instances only and use the CDK bootstrap roles', () => {
    const roleId = Object.keys(resources).find(
      (id) => resources[id]?.Type === 'AWS::IAM::Role' && render(resources[id]?.Properties?.['AssumeRolePolicyDocument'] as Json).includes('token.actions.githubusercontent.com'),
    ) as string;
    const statements = roleStatements(resources, roleId);
    for (const statement of statements) {
      for (const action of asList(statement.Action)) expect(action).not.toContain('*');
      if (asList(statement.Resource).includes('*')) expect(statement.Sid).toBe('FollowRollout');
    }
    const bySid = statementsBySid(statements);
    expect(bySid['RunRolloutOnGatewayInstances']?.condition).toEqual({
      StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': { Ref: Object.keys(resources).find((id) => resources[id]?.Type === 'AWS::AutoScaling::AutoScalingGroup') } },
    });
    expect(bySid['PublishAndRollBackReleases']?.resources[0]).toMatch(/\/releases\/\*$/);
    // the restart scripts wait for each instance to be a healthy target (mode=ha)
    expect(asList(statements.find((statement) => statement.Sid === 'FollowRollout')?.Action)).toContain('elasticloadbalancing:DescribeTargetHealth');
    expect(bySid['UseCdkBootstrapRoles']?.resources[0]).toContain(':role/cdk-hnb659fds-*-');
    expect(Object.keys(bySid).sort()).toEqual(['FollowRollout', 'ListReleaseVersions', 'PublishAndRollBackReleases', 'ReadStackOutputs', 'RunRolloutOnGatewayInstances', 'RunShellScriptDocument', 'UseCdkBootstrapRoles']);
  });

  it('offers the same stages as an optional CodePipeline: source, test, release + deploy + rollout', () => {
    const pipeline = Object.values(resources).find((resource) => resource.Type === 'AWS::CodePipeline::Pipeline');
    const stages = (pipeline?.Properties?.['Stages'] as { Name: string }[]).map((stage) => stage.Name);
    expect(stages).toEqual(['Source', 'Test', 'Deploy']);
    const projects = Object.values(resources).filter((resource) => resource.Type === 'AWS::CodeBuild::Project').map((resource) => render(resource.Properties?.['Source'] as Json));
    expect(projects.some((spec) => spec.includes('bash .ci/run'))).toBe(true);
    expect(projects.some((spec) => spec.includes('npm run package:gateway -w infra') && spec.includes('infra/scripts/rollout.sh'))).toBe(true);
    expect(synthesize().template.findResources('AWS::CodePipeline::Pipeline')).toEqual({});
  });

  it('runs the Test stage as CI does: .ci/run alone (one npm ci) on a Debian 12 image with Node 22', () => {
    const testProject = Object.values(resources).find(
      (resource) => resource.Type === 'AWS::CodeBuild::Project' && render(resource.Properties?.['Source'] as Json).includes('bash .ci/run'),
    );
    const environment = testProject?.Properties?.['Environment'] as Record<string, Json>;
    // .ci/run installs Debian's chromium with apt-get: a Debian image, never CodeBuild's Ubuntu or Amazon Linux
    expect(environment['Image']).toBe(PIPELINE_TEST_IMAGE);
    expect(PIPELINE_TEST_IMAGE).toMatch(/\/node:22-bookworm$/);
    const buildSpec = JSON.parse(render((testProject?.Properties?.['Source'] as Record<string, Json>)['BuildSpec'] as Json)) as {
      phases: Record<string, { commands?: string[]; 'runtime-versions'?: unknown }>;
    };
    const commands = Object.values(buildSpec.phases).flatMap((phase) => phase.commands ?? []);
    expect(commands).toEqual(['bash .ci/run']);
    // CodeBuild selects runtimes only on its own images
    expect(Object.values(buildSpec.phases).some((phase) => phase['runtime-versions'] !== undefined)).toBe(false);
    const ciRun = readFileSync(fileURLToPath(new URL('../../.ci/run', import.meta.url)), 'utf8');
    expect(ciRun).toContain('npm ci');
    expect(ciRun).toMatch(/missing\+=\(chromium\)/);
  });
});

describe('GatewayStack with Caddy and Let\'s Encrypt on the instance', () => {
  const { template, resources, logicalId } = synthesize({ domainName: 'chat.example.com' });

  it('opens 80 and 443, binds the gateway to loopback and proxies it through Caddy with its admin API off', () => {
    const ports = ingressRules(resources).map((rule) => rule['FromPort']).sort();
    expect(ports).toEqual([443, 80]);
    const launchData = resources[logicalId('AWS::EC2::LaunchTemplate')]?.Properties?.['LaunchTemplateData'] as Record<string, Json>;
    const userData = render(launchData['UserData'] as Json);
    expect(userData).toContain('chat.example.com {');
    expect(userData).toContain('reverse_proxy 127.0.0.1:8080');
    expect(userData).toMatch(/\{\s*(#[^\n]*\n\s*)*admin off\s*\}/);
    expect(userData).not.toContain('caddy reload');
    expect(userData).toContain('HOST=127.0.0.1');
    expect(render(template.findOutputs('GatewayUrl')['GatewayUrl']?.['Value'] as Json)).toBe('https://chat.example.com');
  });
});
