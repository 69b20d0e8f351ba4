import { z } from 'zod';

/**
 * How the public reaches the gateway instances: `cloudfront` (default: CloudFront's HTTPS in front
 * of the instance, port 80 open to CloudFront only), `caddy` (Let's Encrypt on the instance, needs
 * a domain), `direct` (plain HTTP, opt-out), `alb` (load-balanced mode; HTTPS at CloudFront, or at
 * the ALB with a domain and an ACM certificate).
 */
export type IngressMode = 'direct' | 'caddy' | 'alb' | 'cloudfront';

/** `single`: one self-healing instance (Free Tier). `ha`: ALB + Auto Scaling group across two AZs. */
export type DeploymentMode = 'single' | 'ha';

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const contextBoolean = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((value) => value === true || value === 'true');

const contextInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const s3Key = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9!_.*'()/-]+$/, 'expected an S3 key such as intent/intent-model.bin.gz')
  .refine((key) => !key.startsWith('/'), 'must not start with "/"');

const parameterPrefix = z
  .string()
  .regex(/^(\/[A-Za-z0-9_.-]+)+$/, 'expected an SSM path such as /review-assistant');

/**
 * Deployment knobs, read from CDK context (`cdk.json` or `-c key=value`). Values given on the
 * command line arrive as strings, so booleans and numbers are coerced.
 */
const contextSchema = z.object({
  /** `single` (one t3.micro, Free Tier) or `ha` (ALB + 2–4 t3.micro across two AZs). @default single */
  mode: z.enum(['single', 'ha']).default('single'),
  /** HTTPS through CloudFront without a domain (default), or plain HTTP when false. @default true */
  cloudFront: contextBoolean.default(true),
  /** ID of the CloudFront origin-facing managed prefix list; unset: looked up by name at deploy time. */
  cloudFrontPrefixListId: z.string().regex(/^pl-[0-9a-f]+$/, 'expected a prefix list id such as pl-3b927c52').optional(),
  /** Instances in the load-balanced mode. @default 2 */
  minInstances: contextInt(2, 4).default(2),
  /** @default 4 */
  maxInstances: contextInt(2, 4).default(4),
  /** Continuous backups of the interaction log (not in the Free Tier: ~$0.20 per GB-month). @default false */
  pointInTimeRecovery: contextBoolean.default(false),
  /** `owner/name` of the GitHub repository whose workflow may deploy (creates the OIDC deploy role). */
  githubRepository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name, e.g. octo-org/review-assistant').optional(),
  /** Branch whose workflow runs may assume the deploy role. @default main */
  githubBranch: z.string().regex(/^[A-Za-z0-9_./-]+$/, 'expected a branch name such as main').default('main'),
  /** ARN of an existing GitHub OIDC provider in the account (an account has at most one); unset: the stack creates it. */
  githubOidcProviderArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/, 'expected the ARN of the token.actions.githubusercontent.com provider').optional(),
  /** The same stages as the GitHub workflow as an AWS CodePipeline (source: a zip in the bucket). @default false */
  pipeline: contextBoolean.default(false),
  /** ACM certificate for the ALB's HTTPS listener (only with `mode=ha` and `domainName`). */
  certificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:/, 'expected an ACM certificate ARN').optional(),
  /** Public DNS name of the gateway; without the ALB this turns on Caddy with Let's Encrypt. */
  domainName: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'expected a DNS name such as chat.example.com')
    .optional(),
  /** Caddy release fetched from GitHub when Caddy is used. @default 2.10.2 */
  caddyVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a version such as 2.10.2').default('2.10.2'),
  /** Give the instance a fixed public address (re-attached by every replacement instance). @default true */
  elasticIp: contextBoolean.default(true),
  /** E-mail address subscribed to the alarm topic. */
  alarmEmail: z.string().email('expected an e-mail address').optional(),
  /** Where the intent model artifact lives in the bucket. @default intent/intent-model.bin.gz */
  intentModelKey: s3Key.default('intent/intent-model.bin.gz'),
  /** Where the gateway release tarball lives in the bucket. @default releases/cloud-gateway.tgz */
  releaseKey: s3Key.default('releases/cloud-gateway.tgz'),
  /** SSM path under which the SecureString secrets are stored. @default /review-assistant */
  parameterPrefix: parameterPrefix.default('/review-assistant'),
  /**
   * Version of the `<parameterPrefix>/EDGE_SECRET` parameter CloudFront sends (the ALB also accepts
   * the version before it); raise it after `infra/scripts/edge-secret.sh rotate`. @default 1
   */
  edgeSecretVersion: z.coerce.number().int().min(1).max(1_000_000).default(1),
  /** Static worker list handed to the gateway (usually empty: workers announce themselves). */
  workerUrls: z.string().default(''),
  /** Days the gateway's logs are kept in CloudWatch Logs. @default 30 */
  logRetentionDays: z.coerce
    .number()
    .int()
    .refine((days) => LOG_RETENTION_DAYS.includes(days), `expected one of ${LOG_RETENTION_DAYS.join(', ')}`)
    .default(30),
  /** Provisioned DynamoDB capacity (25 RCU/WCU are in the always-free tier). @default 5 */
  tableReadCapacity: contextInt(1, 25).default(5),
  /** @default 5 */
  tableWriteCapacity: contextInt(1, 25).default(5),
  /** Keep the bucket and the table when the stack is deleted. @default true */
  retainData: contextBoolean.default(true),
});

export type GatewayStackConfig = z.infer<typeof contextSchema> & { ingress: IngressMode; edge: 'cloudfront' | 'alb-https' | 'none' };

/** The context keys the stack reads; anything else in context is CDK's own business. */
export const CONTEXT_KEYS = Object.keys(contextSchema.shape) as (keyof z.infer<typeof contextSchema>)[];

/**
 * Parses the stack's context values. `read` returns the raw context value for a key (e.g.
 * `app.node.tryGetContext`). Fails with the key's name and what was expected.
 */
export function readStackConfig(read: (key: string) => unknown): GatewayStackConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = read(key);
    if (value !== undefined && value !== null && value !== '') raw[key] = value;
  }
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `context "${issue.path.join('.')}": ${issue.message}`);
    throw new Error(`Invalid CDK context for the gateway stack:\n  ${problems.join('\n  ')}`);
  }
  const config = parsed.data;
  const fail = (key: string, message: string) => {
    throw new Error(`Invalid CDK context for the gateway stack:\n  context "${key}": ${message}`);
  };
  const ha = config.mode === 'ha';
  if (config.certificateArn && !(ha && config.domainName)) fail('certificateArn', 'needs mode=ha and domainName (without the ALB, set domainName for Caddy + Let\'s Encrypt)');
  if (ha && config.minInstances > config.maxInstances) fail('minInstances', `must not exceed maxInstances (${config.maxInstances})`);
  if (!ha && config.cloudFront && !config.domainName && !config.elasticIp) fail('elasticIp', 'CloudFront needs the fixed address as its origin; keep elasticIp=true or set cloudFront=false');
  if (config.githubOidcProviderArn && !config.githubRepository) fail('githubOidcProviderArn', 'needs githubRepository');
  const ingress: IngressMode = ha ? 'alb' : config.domainName ? 'caddy' : config.cloudFront ? 'cloudfront' : 'direct';
  const edge = ha ? (config.certificateArn ? 'alb-https' : 'cloudfront') : ingress === 'cloudfront' ? 'cloudfront' : 'none';
  return { ...config, ingress, edge };
}
