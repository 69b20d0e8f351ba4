import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB client settings. Without `AWS_ENDPOINT_URL_DYNAMODB` this is empty: the SDK's default
 * chain finds region and credentials (the instance role on EC2). With an endpoint that is not an
 * AWS host (dynalite, DynamoDB Local), a missing region or missing credentials get placeholders,
 * because such servers accept any and the SDK refuses to send a request without them.
 */
export function dynamoClientConfig(endpoint: string | undefined, env: Record<string, string | undefined> = process.env): DynamoDBClientConfig {
  if (!endpoint) return {};
  const local = !/\.amazonaws\.com(\.cn)?$/i.test(new URL(endpoint).hostname);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return {
    endpoint,
    ...(region ? { region } : local ? { region: 'us-east-1' } : {}),
    ...(local && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  };
}
