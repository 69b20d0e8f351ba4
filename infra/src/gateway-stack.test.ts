import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
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

function synthesize(context: Record<string, unknown> = {}) {
  const app = new App({ context });
  const stack = new GatewayStack(app, 'TestGateway', {
    config: readStackConfig((key) => app.node.tryGetContext(key)),
  });
  const template = Template.fromStack(stack);
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

describe('GatewayStack (defaults: direct HTTP on an Elastic IP)', () => {
  const { template, resources, logicalId } = synthesize();
  const bucket = logicalId('AWS::S3::Bucket');
  const table = logicalId('AWS::DynamoDB::Table');
  const logGroup = logicalId('AWS::Logs::LogGroup');
  const role = logicalId('AWS::IAM::Role');
  const profile = logicalId('AWS::IAM::InstanceProfile');
  const address = logicalId('AWS::EC2::EIP');
  const parameter = (name: string) =>
    `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/review-assistant/${name}`;

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

  it('runs the gateway in a self-healing Auto Scaling group of exactly one instance', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '1', MaxSize: '1', HealthCheckType: 'EC2' });
    template.resourceCountIs('AWS::EC2::Instance', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
  });

  it('gives the instance role exactly the least-privilege statements it needs', () => {
    const statements = roleStatements(resources, role);
    expect(statementsBySid(statements)).toEqual({
      ReadIntentModelAndGatewayRelease: {
        effect: 'Allow',
        actions: ['s3:GetObject'],
        resources: [`\${${bucket}.Arn}/intent/*`, `\${${bucket}.Arn}/releases/*`],
        condition: undefined,
      },
      WriteAndQueryInteractionLog: {
        effect: 'Allow',
        actions: ['dynamodb:PutItem', 'dynamodb:Query'],
        resources: [`\${${table}.Arn}`],
        condition: undefined,
      },
      ReadGatewaySecrets: {
        effect: 'Allow',
        actions: ['ssm:GetParameters'],
        resources: [parameter('ADMIN_TOKEN'), parameter('API_KEYS'), parameter('WORKER_SHARED_SECRET')],
        condition: undefined,
      },
      ShipGatewayLogs: {
        effect: 'Allow',
        actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: [`\${${logGroup}.Arn}`],
        condition: undefined,
      },
      PublishGatewayMetrics: {
        effect: 'Allow',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        condition: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
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
  });

  it('never grants a wildcard action, and a wildcard resource only where AWS offers no resource ARN', () => {
    const statements = roleStatements(resources, role);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of asList(statement.Action)) expect(action, `action of ${statement.Sid}`).not.toContain('*');
      if (asList(statement.Resource).includes('*')) {
        expect(statement.Sid).toBe('PublishGatewayMetrics');
        expect(statement.Condition).toBeDefined();
      }
    }
  });

  it('attaches only the Session Manager managed policy (SSH replaced by SSM)', () => {
    const roleProps = resources[role]?.Properties ?? {};
    const managed = (roleProps['ManagedPolicyArns'] as Json[]).map(render);
    expect(managed).toEqual(['arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore']);
    expect(render(roleProps['AssumeRolePolicyDocument'] as Json)).toContain('ec2.amazonaws.com');
  });

  it('keeps the artifact bucket private, encrypted, versioned and SSL-only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });

  it('logs interactions in a table keyed by sessionId and createdAt, with TTL and point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'sessionId', KeyType: 'HASH' },
        { AttributeName: 'createdAt', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayEquals([
        { AttributeName: 'sessionId', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
      ]),
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
    });
  });

  it('keeps logs for a bounded time and counts 5xx responses from them', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logGroup },
      FilterPattern: '{ $.status >= 500 }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: METRICS_NAMESPACE, MetricName: 'ServerErrors' })],
    });
  });

  it('raises alarms on CPU, throttling, status checks, missing instance, memory and 5xx, all wired to the topic', () => {
    const alarms = Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm');
    expect(alarmMetrics(alarms)).toEqual([
      'CPUCreditBalance+CPUUtilization',
      'CPUUtilization',
      'GroupInServiceInstances',
      'ServerErrors',
      'StatusCheckFailed',
      'mem_used_percent',
    ]);
    const topic = logicalId('AWS::SNS::Topic');
    for (const alarm of alarms) expect(alarm.Properties?.['AlarmActions']).toEqual([{ Ref: topic }]);
    // CloudWatch's free tier covers 10 alarm metrics; a math alarm counts each metric it reads
    expect(alarmMetrics(alarms).flatMap((name) => name.split('+')).length).toBeLessThanOrEqual(10);
  });

  it('alarms on throttling only when the CPU wants more than its baseline, not on a fresh instance', () => {
    const throttled = Object.values(resources).find(
      (resource) => resource.Type === 'AWS::CloudWatch::Alarm' && resource.Properties?.['Metrics'] !== undefined,
    );
    const metrics = throttled?.Properties?.['Metrics'] as { Expression?: string }[];
    expect(metrics.find((metric) => metric.Expression)?.Expression).toBe('IF(credits < 20 AND cpu >= 10, 1, 0)');
  });

  it('lets the instance talk out only on 80 and 443 (TCP)', () => {
    const rules = egressRules(resources);
    expect(rules.map((rule) => [rule['IpProtocol'], rule['FromPort'], rule['ToPort'], rule['CidrIp']]).sort()).toEqual([
      ['tcp', 443, 443, '0.0.0.0/0'],
      ['tcp', 80, 80, '0.0.0.0/0'],
    ]);
  });

  it('opens only HTTP to the world and never SSH', () => {
    const rules = ingressRules(resources);
    expect(rules.map((rule) => [rule['FromPort'], rule['ToPort'], rule['CidrIp']])).toEqual([[80, 80, '0.0.0.0/0']]);
    for (const rule of rules) expect(coversPort(rule, 22)).toBe(false);
  });

  it('boots Node 22 with the gateway environment and no secret in user data', () => {
    const userData = render(
      (resources[logicalId('AWS::EC2::LaunchTemplate')]?.Properties?.['LaunchTemplateData'] as Record<string, Json>)['UserData']!,
    );
    const decoded = userData;
    expect(decoded).toContain('dnf install -y nodejs22');
    expect(decoded).toContain('/usr/bin/node-22');
    expect(decoded).toContain('LOG_STORE=dynamodb');
    expect(decoded).toContain(`LOG_TABLE=\${${table}}`);
    expect(decoded).toContain(`INTENT_MODEL_URI=s3://\${${bucket}}/intent/intent-model.bin.gz`);
    expect(decoded).toContain('HOST=0.0.0.0');
    expect(decoded).toContain('PORT=80\n');
    expect(decoded).not.toMatch(/WORKER_SHARED_SECRET=\S/);
    expect(decoded).not.toMatch(/ADMIN_TOKEN=\S/);
  });

  it('outputs the URL, the bucket and the table', () => {
    const outputs = template.findOutputs('*');
    expect(render(outputs['GatewayUrl']?.['Value'] as Json)).toBe(`http://\${${address}.PublicIp}`);
    expect(outputs['PublicIp']?.['Value']).toEqual({ 'Fn::GetAtt': [address, 'PublicIp'] });
    expect(outputs['BucketName']?.['Value']).toEqual({ Ref: bucket });
    expect(outputs['TableName']?.['Value']).toEqual({ Ref: table });
  });
});

describe('GatewayStack behind an Application Load Balancer', () => {
  const { template, resources, logicalId } = synthesize({
    alb: 'true',
    certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
    domainName: 'chat.example.com',
  });

  it('terminates HTTPS at the ALB, redirects HTTP and health-checks /healthz', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect' })],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 8080, HealthCheckPath: '/healthz' });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { HealthCheckType: 'ELB' });
  });

  it('lets only the load balancer reach the instance, on the gateway port', () => {
    const instanceGroup = Object.entries(resources).find(
      ([, resource]) => resource.Type === 'AWS::EC2::SecurityGroup' && resource.Properties?.['GroupDescription'] === 'Review assistant gateway instance',
    )?.[0];
    const balancerGroup = Object.entries(resources).find(
      ([, resource]) => resource.Type === 'AWS::EC2::SecurityGroup' && resource.Properties?.['GroupDescription'] !== 'Review assistant gateway instance',
    )?.[0];
    expect(instanceGroup).toBeDefined();
    const toInstance = ingressRules(resources).filter((rule) => rule.group === instanceGroup);
    expect(toInstance).toHaveLength(1);
    expect(toInstance[0]).toMatchObject({ FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: { 'Fn::GetAtt': [balancerGroup, 'GroupId'] } });
    expect(toInstance[0]?.['CidrIp']).toBeUndefined();
    for (const rule of ingressRules(resources)) expect(coversPort(rule, 22)).toBe(false);
  });

  it('adds target health and 5xx alarms and drops the Elastic IP', () => {
    const metrics = alarmMetrics(Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm'));
    expect(metrics).toEqual(expect.arrayContaining(['UnHealthyHostCount', 'HTTPCode_Target_5XX_Count']));
    expect(metrics.flatMap((name) => name.split('+')).length).toBeLessThanOrEqual(10);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    expect(template.findOutputs('PublicIp')).toEqual({});
    const role = logicalId('AWS::IAM::Role');
    const actions = roleStatements(resources, role).flatMap((statement) => asList(statement.Action));
    expect(actions).not.toContain('ec2:AssociateAddress');
    expect(render(template.findOutputs('GatewayUrl')['GatewayUrl']?.['Value'] as Json)).toBe('https://chat.example.com');
  });
});

describe('GatewayStack with Caddy and Let\'s Encrypt on the instance', () => {
  const { template, resources, logicalId } = synthesize({ domainName: 'chat.example.com' });

  it('opens 80 and 443, binds the gateway to loopback and proxies it through Caddy', () => {
    const ports = ingressRules(resources).map((rule) => rule['FromPort']).sort();
    expect(ports).toEqual([443, 80]);
    const launchData = resources[logicalId('AWS::EC2::LaunchTemplate')]?.Properties?.['LaunchTemplateData'] as Record<string, Json>;
    const userData = render(launchData['UserData'] as Json);
    expect(userData).toContain('chat.example.com {');
    expect(userData).toContain('reverse_proxy 127.0.0.1:8080');
    expect(userData).toContain('HOST=127.0.0.1');
    expect(render(template.findOutputs('GatewayUrl')['GatewayUrl']?.['Value'] as Json)).toBe('https://chat.example.com');
  });
});
