import { Stack, aws_iam as iam, aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { keyPrefix } from './identity.js';

/** GitHub's OIDC issuer (docs.github.com, "Configuring OpenID Connect in Amazon Web Services"). */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** What a deployment needs besides CloudFormation: the bucket's releases and this stack's instances. */
export interface RolloutTarget {
  bucket: s3.IBucket;
  releaseKey: string;
  autoScalingGroupName: string;
}

/**
 * The permissions of `infra/scripts/rollout.sh` and `cdk deploy`, shared by the GitHub deploy role
 * and the CodePipeline deploy project: put and read releases (and list their versions for the
 * rollback), describe this stack, Run Command only on this stack's instances, and assume the CDK
 * bootstrap roles (which do the CloudFormation work).
 */
export function rolloutStatements(stack: Stack, target: RolloutTarget): iam.PolicyStatement[] {
  const releasePrefix = keyPrefix(target.releaseKey);
  return [
    new iam.PolicyStatement({
      sid: 'PublishAndRollBackReleases',
      actions: ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion'],
      resources: [target.bucket.arnForObjects(releasePrefix)],
    }),
    new iam.PolicyStatement({
      sid: 'ListReleaseVersions',
      actions: ['s3:ListBucketVersions'],
      resources: [target.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [releasePrefix] } },
    }),
    new iam.PolicyStatement({ sid: 'ReadStackOutputs', actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }),
    new iam.PolicyStatement({
      sid: 'RunRolloutOnGatewayInstances',
      actions: ['ssm:SendCommand'],
      resources: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
      conditions: { StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': target.autoScalingGroupName } },
    }),
    new iam.PolicyStatement({
      sid: 'RunShellScriptDocument',
      actions: ['ssm:SendCommand'],
      resources: [stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: 'AWS-RunShellScript' })],
    }),
    // Read-only calls without resource-level permissions (AWS requires "*").
    new iam.PolicyStatement({
      sid: 'FollowRollout',
      // DescribeTargetHealth: infra/scripts/gateway-restart.sh waits for each restarted instance (mode=ha)
      actions: ['ssm:GetCommandInvocation', 'ssm:ListCommandInvocations', 'autoscaling:DescribeAutoScalingGroups', 'elasticloadbalancing:DescribeTargetHealth'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'UseCdkBootstrapRoles',
      actions: ['sts:AssumeRole'],
      resources: [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `cdk-hnb659fds-*-${stack.account}-${stack.region}` })],
    }),
  ];
}

export interface DeployAccessProps extends RolloutTarget {
  /** `owner/name`. */
  repository: string;
  branch: string;
  /** An existing provider for the issuer; unset: one is created (an account has at most one). */
  providerArn: string | undefined;
}

/**
 * The role GitHub Actions assumes through OIDC (no long-lived keys): trusted only for workflow runs
 * of one repository on one branch. It may publish a release, read the stack's outputs, roll the
 * release out with SSM Run Command on this stack's instances only, and assume the CDK bootstrap
 * roles for `cdk deploy` (the bootstrap's deploy role does the CloudFormation work).
 */
export class DeployAccess extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DeployAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const provider = props.providerArn
      ? iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(this, 'GitHubProvider', props.providerArn)
      : new iam.OpenIdConnectProvider(this, 'GitHubProvider', { url: `https://${GITHUB_OIDC_HOST}`, clientIds: ['sts.amazonaws.com'] });
    this.role = new iam.Role(this, 'DeployRole', {
      description: `GitHub Actions deploys of ${props.repository} (${props.branch})`,
      assumedBy: new iam.WebIdentityPrincipal(provider.openIdConnectProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com',
          [`${GITHUB_OIDC_HOST}:sub`]: `repo:${props.repository}:ref:refs/heads/${props.branch}`,
        },
      }),
    });
    const statements = rolloutStatements(stack, props);
    new iam.Policy(this, 'DeployPolicy', { roles: [this.role], statements });
  }
}
