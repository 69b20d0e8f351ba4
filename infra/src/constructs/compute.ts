import { Duration, Stack, aws_autoscaling as autoscaling, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { GatewayStackConfig } from '../stack-config.js';
import { renderBootScript, type GatewayBootOptions } from '../user-data.js';
import type { EdgeSecretReferences } from './edge-secret.js';
import { GATEWAY_INTERNAL_PORT, type GatewayNetwork } from './network.js';

/** Header CloudFront adds to every origin request; the ALB and the gateway trust the edge only with it. */
export const EDGE_SECRET_HEADER = 'X-Origin-Verify';

/**
 * Longest a chat stream may still run when an instance leaves the load balancer (the gateway's
 * WORKER_REQUEST_BUDGET_MS is 180 s), so scale-in and rolling updates do not cut answers.
 */
export const CONNECTION_DRAINING = Duration.seconds(200);

/** The ALB's idle timeout: a silent cold model load on the worker must not cut a stream. */
export const LOAD_BALANCER_IDLE_TIMEOUT = Duration.seconds(120);

export interface GatewayComputeProps {
  config: GatewayStackConfig;
  network: GatewayNetwork;
  instanceProfile: import('aws-cdk-lib').aws_iam.IInstanceProfile;
  /** Everything of the boot script that does not depend on the compute resources themselves. */
  boot: Omit<GatewayBootOptions, 'ingress' | 'host' | 'port' | 'elasticIpAllocationId' | 'forwardedProtoHeader'>;
  /** The edge secret's values the ALB accepts (CloudFront edge only; the gateway reads them from SSM). */
  edgeSecrets: EdgeSecretReferences | undefined;
  /** Elastic IP allocation of the single-instance mode. */
  elasticIpAllocationId: string | undefined;
}

/**
 * The gateway instances: a launch template (t3.micro, Amazon Linux 2023, IMDSv2, the boot script)
 * and an Auto Scaling group: exactly one self-healing instance by default, or in `mode=ha` 2–4
 * instances across two AZs behind an Application Load Balancer with /readyz health checks, target
 * tracking on CPU and connection draining long enough for a chat stream.
 */
export class GatewayCompute extends Construct {
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer | undefined;
  readonly targetGroup: elbv2.ApplicationTargetGroup | undefined;

  constructor(scope: Construct, id: string, props: GatewayComputeProps) {
    super(scope, id);
    const { config, network } = props;
    const ha = config.mode === 'ha';
    const behindCloudFront = config.edge === 'cloudfront';
    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      renderBootScript({
        ...props.boot,
        ingress: config.ingress,
        host: config.ingress === 'caddy' ? '127.0.0.1' : '0.0.0.0',
        port: network.gatewayPort,
        ...(props.elasticIpAllocationId ? { elasticIpAllocationId: props.elasticIpAllocationId } : {}),
        ...(behindCloudFront ? { forwardedProtoHeader: 'cloudfront-forwarded-proto' } : config.ingress === 'alb' ? { forwardedProtoHeader: 'x-forwarded-proto' } : {}),
      }),
    );

    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
      machineImage: ec2.MachineImage.latestAmazonLinux2023(),
      userData,
      instanceProfile: props.instanceProfile,
      securityGroup: network.instanceSecurityGroup,
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
      vpc: network.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC, onePerAz: true },
      launchTemplate,
      minCapacity: ha ? config.minInstances : 1,
      maxCapacity: ha ? config.maxInstances : 1,
      healthChecks: ha
        ? autoscaling.HealthChecks.withAdditionalChecks({ additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB], gracePeriod: Duration.minutes(5) })
        : autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
      // One instance: a launch template change replaces it (a short outage, documented). A fleet
      // keeps all but one in service while it rolls.
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({ minInstancesInService: ha ? config.minInstances - 1 : 0, maxBatchSize: 1 }),
      groupMetrics: [autoscaling.GroupMetrics.all()],
    });
    if (!ha) return;

    // --- load-balanced mode (not in the Free Tier: ~$16/month for the ALB plus LCUs, docs/DEPLOY.md)
    this.autoScalingGroup.scaleOnCpuUtilization('CpuTarget', { targetUtilizationPercent: 50, cooldown: Duration.minutes(5) });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: network.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      internetFacing: true,
      securityGroup: network.loadBalancerSecurityGroup,
      idleTimeout: LOAD_BALANCER_IDLE_TIMEOUT,
      dropInvalidHeaderFields: true,
    });
    const targets: elbv2.AddApplicationTargetsProps = {
      port: GATEWAY_INTERNAL_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.autoScalingGroup],
      deregistrationDelay: CONNECTION_DRAINING,
      healthCheck: { path: '/readyz', healthyHttpCodes: '200', interval: Duration.seconds(15), healthyThresholdCount: 2, unhealthyThresholdCount: 3 },
    };
    if (config.edge === 'alb-https' && config.certificateArn) {
      const https = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(config.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
      });
      this.targetGroup = https.addTargets('Gateway', targets);
      this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443, open: false });
    } else {
      // behind CloudFront: only requests that carry the distribution's secret header are served
      const http = this.loadBalancer.addListener('Http', {
        port: 80,
        open: false,
        defaultAction: elbv2.ListenerAction.fixedResponse(403, { contentType: 'application/json', messageBody: '{"error":{"code":"forbidden","message":"use the CloudFront address"}}' }),
      });
      this.targetGroup = http.addTargets('Gateway', {
        ...targets,
        priority: 1,
        conditions: [elbv2.ListenerCondition.httpHeader(EDGE_SECRET_HEADER, props.edgeSecrets?.accepted ?? [Stack.of(this).stackId])],
      });
    }
  }
}
