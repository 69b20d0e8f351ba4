import { aws_ec2 as ec2, custom_resources as customResources } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { GatewayStackConfig } from '../stack-config.js';

/** Name of the AWS-managed prefix list of CloudFront's origin-facing addresses (the same in every region). */
export const CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = 'com.amazonaws.global.cloudfront.origin-facing';

/** Port the gateway process listens on behind Caddy or the ALB. */
export const GATEWAY_INTERNAL_PORT = 8080;

export interface GatewayNetworkProps {
  config: GatewayStackConfig;
}

/**
 * The VPC (public subnets in two AZs, no NAT gateway: ~$32/month that nothing here needs) and the
 * security groups: the instances', and in the load-balanced mode the ALB's. Who may connect
 * follows from the ingress mode: with CloudFront, only CloudFront's origin-facing addresses reach
 * port 80; nothing ever reaches port 22.
 */
export class GatewayNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly instanceSecurityGroup: ec2.SecurityGroup;
  readonly loadBalancerSecurityGroup: ec2.SecurityGroup | undefined;
  /** Port the gateway process binds on the instance. */
  readonly gatewayPort: number;

  constructor(scope: Construct, id: string, props: GatewayNetworkProps) {
    super(scope, id);
    const { config } = props;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      // Restricting the default group needs a Lambda-backed custom resource; nothing uses that group.
      restrictDefaultSecurityGroup: false,
    });

    this.instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: this.vpc,
      description: 'Review assistant gateway instance',
      allowAllOutbound: false,
    });
    this.instanceSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs, workers over ngrok, packages');
    this.instanceSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'package mirrors, ACME HTTP');

    const cloudFront = () => ec2.Peer.prefixList(this.cloudFrontPrefixListId(config));
    this.gatewayPort = config.ingress === 'direct' || config.ingress === 'cloudfront' ? 80 : GATEWAY_INTERNAL_PORT;
    switch (config.ingress) {
      case 'direct':
        this.instanceSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'gateway (plain HTTP: cloudFront=false)');
        break;
      case 'cloudfront':
        this.instanceSecurityGroup.addIngressRule(cloudFront(), ec2.Port.tcp(80), 'gateway, from CloudFront only');
        break;
      case 'caddy':
        this.instanceSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'Caddy: ACME challenge and redirect');
        this.instanceSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Caddy: HTTPS');
        break;
      case 'alb': {
        this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
          vpc: this.vpc,
          description: 'Review assistant load balancer',
          allowAllOutbound: false,
        });
        if (config.edge === 'alb-https') {
          this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS');
          this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'redirect to HTTPS');
        } else {
          this.loadBalancerSecurityGroup.addIngressRule(cloudFront(), ec2.Port.tcp(80), 'from CloudFront only');
        }
        // the ALB → instance rules on the gateway port are added by the target group registration
        break;
      }
    }
  }

  /**
   * The prefix list's id differs per region and is not known to an environment-agnostic synth, so
   * it is looked up by name at deploy time (an SDK call from CDK's AwsCustomResource) unless the
   * `cloudFrontPrefixListId` context gives it.
   */
  private cloudFrontPrefixListId(config: GatewayStackConfig): string {
    if (config.cloudFrontPrefixListId) return config.cloudFrontPrefixListId;
    const existing = this.node.tryFindChild('CloudFrontPrefixList') as customResources.AwsCustomResource | undefined;
    const lookup =
      existing ??
      new customResources.AwsCustomResource(this, 'CloudFrontPrefixList', {
        onUpdate: {
          service: 'EC2',
          action: 'describeManagedPrefixLists',
          parameters: { Filters: [{ Name: 'prefix-list-name', Values: [CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST] }] },
          physicalResourceId: customResources.PhysicalResourceId.of(CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST),
          outputPaths: ['PrefixLists.0.PrefixListId'],
        },
        // DescribeManagedPrefixLists has no resource-level permissions: AWS requires "*".
        policy: customResources.AwsCustomResourcePolicy.fromSdkCalls({ resources: customResources.AwsCustomResourcePolicy.ANY_RESOURCE }),
        installLatestAwsSdk: false,
      });
    return lookup.getResponseField('PrefixLists.0.PrefixListId');
  }
}
