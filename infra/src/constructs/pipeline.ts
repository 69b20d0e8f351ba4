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

/**
 * Build image of the Test stage: Debian 12 with Node 22, the machine `.ci/run` is written for (it
 * installs Debian's `chromium` and `openssl` with apt as root, then runs `npm ci` and `npm test`).
 * CodeBuild's curated images are Ubuntu (whose `chromium` package is only a snap stub) or Amazon
 * Linux (no apt). Pulled from the Amazon ECR Public copy of Docker's official `node` image, which
 * has no Docker Hub pull limits.
 */
export const PIPELINE_TEST_IMAGE = 'public.ecr.aws/docker/library/node:22-bookworm';

export interface GatewayPipelineProps extends RolloutTarget {
  bucket: s3.Bucket;
}

/**
 * The GitHub workflow's stages as an AWS CodePipeline (context `pipeline=true`) for code that lives
 * in AWS: source (a zip of the repository in the bucket, versioned), test (`.ci/run` on Debian 12),
 * build and publish (`npm run package:gateway -w infra`, `cdk deploy`), roll out with the gate and
 * the automatic rollback (`infra/scripts/rollout.sh`, the same script the workflow runs).
 */
export class GatewayPipeline extends Construct {
  readonly pipeline: codepipeline.Pipeline;

  constructor(scope: Construct, id: string, props: GatewayPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Deploy: CodeBuild's Ubuntu image, which has the AWS CLI that rollout.sh needs
    const environment: codebuild.BuildEnvironment = {
      buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
      computeType: codebuild.ComputeType.SMALL,
    };
    const install = { 'runtime-versions': { nodejs: '22' }, commands: ['npm ci'] };
    // Test: `.ci/run` alone, as CI runs it (it installs its packages and runs `npm ci` once itself).
    // A custom image takes no `runtime-versions` (CodeBuild selects runtimes on its own images only).
    const test = new codebuild.PipelineProject(this, 'Test', {
      description: 'Review assistant: type-check and every test (.ci/run on Debian 12, Node 22)',
      environment: { buildImage: codebuild.LinuxBuildImage.fromDockerRegistry(PIPELINE_TEST_IMAGE), computeType: codebuild.ComputeType.SMALL },
      timeout: Duration.minutes(90),
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { variables: { CI: 'true' } },
        phases: { build: { commands: ['bash .ci/run'] } },
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
