import {
  Duration,
  aws_autoscaling as autoscaling,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_elasticloadbalancingv2 as elbv2,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from './identity.js';

export interface GatewayAlarmsProps {
  autoScalingGroup: autoscaling.AutoScalingGroup;
  targetGroup: elbv2.ApplicationTargetGroup | undefined;
  alarmEmail: string | undefined;
}

/** Routes the gateway answers chat turns on (EMF dimension `Route`). */
const ROUTES = ['worker', 'smalltalk', 'decline'] as const;

/**
 * Alarms (each wired to an SNS topic) and one dashboard. The application metrics come from the
 * gateway's EMF lines (CLOUDWATCH_EMF=true), memory and disk from the CloudWatch agent, CPU and
 * credits from EC2. Free tier: 10 alarm metrics and 3 dashboards.
 */
export class GatewayAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: GatewayAlarmsProps) {
    super(scope, id);
    const { autoScalingGroup, targetGroup } = props;
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Review assistant gateway alarms', enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new cloudwatchActions.SnsAction(this.topic);
    const alarm = (
      alarmId: string,
      metric: cloudwatch.IMetric,
      options: { description: string; threshold: number; evaluationPeriods: number; above: boolean; missing: cloudwatch.TreatMissingData },
    ) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        alarmDescription: options.description,
        threshold: options.threshold,
        evaluationPeriods: options.evaluationPeriods,
        comparisonOperator: options.above ? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD : cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: options.missing,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };
    const group = { AutoScalingGroupName: autoScalingGroup.autoScalingGroupName };
    const ec2Metric = (metricName: string, statistic: string, period = Duration.minutes(5)) =>
      new cloudwatch.Metric({ namespace: 'AWS/EC2', metricName, dimensionsMap: group, statistic, period });
    const app = (metricName: string, statistic: string, dimensionsMap: Record<string, string> = {}, period = Duration.minutes(1)) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap, statistic, period });
    const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING;

    const cpu = ec2Metric('CPUUtilization', 'Average');
    const credits = ec2Metric('CPUCreditBalance', 'Minimum');
    const memory = new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'mem_used_percent', statistic: 'Average', period: Duration.minutes(5) });
    const disk = new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'disk_used_percent', statistic: 'Maximum', period: Duration.minutes(5) });
    const workersOnline = app('WorkersOnline', 'Maximum');
    const serverErrors = app('ServerErrors', 'Sum', {}, Duration.minutes(5));

    alarm('CpuHigh', cpu, { description: 'Gateway CPU at or above 80% for 15 minutes', threshold: 80, evaluationPeriods: 3, above: true, missing: notBreaching });
    // t3 "standard" instances launch with a small balance that grows while idle. A balance this
    // low while the CPU wants more than the 10% baseline means the instance is throttled now.
    alarm(
      'CpuCreditsLow',
      new cloudwatch.MathExpression({
        expression: 'IF(credits < 20 AND cpu >= 10, 1, 0)',
        usingMetrics: { credits, cpu },
        period: Duration.minutes(5),
        label: 'credit balance low while above the CPU baseline',
      }),
      {
        description: 'CPU credit balance low (< 20) while the gateway needs more than its 10% t3 baseline: it is being throttled',
        threshold: 1,
        evaluationPeriods: 3,
        above: true,
        missing: notBreaching,
      },
    );
    alarm('StatusCheckFailed', ec2Metric('StatusCheckFailed', 'Maximum'), {
      description: 'Gateway instance or system status check failing',
      threshold: 1,
      evaluationPeriods: 2,
      above: true,
      missing: notBreaching,
    });
    alarm(
      'NoInstanceInService',
      new cloudwatch.Metric({ namespace: 'AWS/AutoScaling', metricName: 'GroupInServiceInstances', dimensionsMap: group, statistic: 'Minimum', period: Duration.minutes(1) }),
      { description: 'No gateway instance in service', threshold: 1, evaluationPeriods: 5, above: false, missing: cloudwatch.TreatMissingData.BREACHING },
    );
    // The gateway reports WorkersOnline every minute; silence (gateway down) counts as none.
    alarm('NoWorkerOnline', workersOnline, {
      description: 'No worker online for 10 minutes: chat questions about reviews cannot be answered',
      threshold: 1,
      evaluationPeriods: 10,
      above: false,
      missing: cloudwatch.TreatMissingData.BREACHING,
    });
    alarm('MemoryHigh', memory, { description: 'Gateway instance memory at or above 90% (1 GiB host)', threshold: 90, evaluationPeriods: 2, above: true, missing: notBreaching });
    alarm('ServerErrors', serverErrors, {
      description: 'Gateway answered 5 or more requests with a 5xx status in 5 minutes',
      threshold: 5,
      evaluationPeriods: 1,
      above: true,
      missing: notBreaching,
    });
    if (targetGroup) {
      alarm('UnhealthyTarget', targetGroup.metrics.unhealthyHostCount({ statistic: 'Maximum', period: Duration.minutes(1) }), {
        description: 'The load balancer sees a gateway as unhealthy (/readyz)',
        threshold: 1,
        evaluationPeriods: 3,
        above: true,
        missing: notBreaching,
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Chat turns by route and status',
            width: 12,
            stacked: true,
            left: ROUTES.flatMap((route) =>
              ['ok', 'error', 'cancelled'].map((status) => app('ChatTurns', 'Sum', { Route: route, Status: status }, Duration.minutes(5)).with({ label: `${route} ${status}` })),
            ),
          }),
          new cloudwatch.GraphWidget({
            title: 'Time to first token (ms)',
            width: 12,
            left: ['p50', 'p95'].map((statistic) => app('TimeToFirstToken', statistic, {}, Duration.minutes(5)).with({ label: statistic })),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Intent confidence',
            width: 8,
            left: ['p10', 'p50', 'Average'].map((statistic) => app('IntentConfidence', statistic, {}, Duration.minutes(5)).with({ label: statistic })),
          }),
          new cloudwatch.GraphWidget({ title: 'Workers online', width: 8, left: [workersOnline.with({ label: 'workers online' })] }),
          new cloudwatch.GraphWidget({ title: '5xx responses', width: 8, left: [serverErrors.with({ label: '5xx' })] }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'CPU (%) and credit balance', width: 8, left: [cpu.with({ label: 'CPU %' })], right: [credits.with({ label: 'credits' })] }),
          new cloudwatch.GraphWidget({ title: 'Memory used (%)', width: 8, left: [memory.with({ label: 'memory %' })] }),
          new cloudwatch.GraphWidget({ title: 'Disk used (%)', width: 8, left: [disk.with({ label: 'disk % (/)' })] }),
        ],
      ],
    });
  }
}
