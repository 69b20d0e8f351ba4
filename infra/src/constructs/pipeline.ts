import {
  Duration,
  Stack,
  aws_codebuild as codebuild,
  aws_codepipeline as codepipeline,
  aws_codepipeline_actions as actions,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { rolloutStatements, type RolloutTarget } from './deploy-access.js';

/** Where the pipeline's source zip goes in the artifact bucket (upload it to start a run). */
export const PIPELINE_SOURCE_KEY = 'pipeline/source.zip';

export interface GatewayPipelineProps extends RolloutTarget {
  bucket: s3.Bucket;
}

/**
 * The GitHub workflow's stages as an AWS CodePipeline (context `pipeline=true`) for code that lives
 * in AWS: source (a zip of the repository in the bucket, versioned), test (`npm ci`, `npm test`),
 * build and publish (`npm run package:gateway -w infra`, `cdk deploy`), roll out with the gate and
 * the automatic rollback (`infra/scripts/rollout.sh`, the same script the workflow runs).
 */
export class GatewayPipeline extends Construct {
  readonly pipeline: codepipeline.Pipeline;

  constructor(scope: Construct, id: string, props: GatewayPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const environment: codebuild.BuildEnvironment = {
      buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
      computeType: codebuild.ComputeType.SMALL,
    };
    const install = { 'runtime-versions': { nodejs: '22' }, commands: ['npm ci'] };
    const test = new codebuild.PipelineProject(this, 'Test', {
      description: 'Review assistant: type-check and every test',
      environment,
      timeout: Duration.minutes(90),
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { variables: { CI: 'true' } },
        phases: { install, build: { commands: ['bash .ci/run'] } },
      }),
    });
    const deploy = new codebuild.PipelineProject(this, 'Deploy', {
      description: 'Review assistant: release, cdk deploy, rollout with gate and rollback',
      environment,
      timeout: Duration.minutes(45),
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          install,
          build: {
            commands: [
              'npm run package:gateway -w infra',
              // the pipeline deploys the stack that contains it: keep it (cdk.json's default is off)
              `(cd infra && npx cdk deploy ${stack.stackName} -c pipeline=true --require-approval never)`,
              `bash infra/scripts/rollout.sh ${stack.stackName} infra/release/cloud-gateway.tgz`,
            ],
          },
        },
      }),
    });
    // the same permissions as the GitHub deploy role
    for (const statement of rolloutStatements(stack, props)) deploy.addToRolePolicy(statement);

    const source = new codepipeline.Artifact('Source');
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: props.bucket,
      stages: [
        {
          stageName: 'Source',
          actions: [new actions.S3SourceAction({ actionName: 'Source', bucket: props.bucket, bucketKey: PIPELINE_SOURCE_KEY, output: source, trigger: actions.S3Trigger.NONE })],
        },
        { stageName: 'Test', actions: [new actions.CodeBuildAction({ actionName: 'Test', project: test, input: source })] },
        { stageName: 'Deploy', actions: [new actions.CodeBuildAction({ actionName: 'ReleaseDeployRollout', project: deploy, input: source })] },
      ],
    });
  }
}
