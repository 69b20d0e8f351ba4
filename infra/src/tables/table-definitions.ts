/**
 * The DynamoDB tables of the stack, as plain data (no CDK import). The definitions live in
 * `@review-assistant/shared` because the gateway's stores read the same key names at run time;
 * this module is the stack's and `npm run dynamodb:tables`' entry point to them.
 */
export {
  gatewayTables,
  interactionLogTable,
  workerRegistryTable,
  type AttributeType,
  type GlobalSecondaryIndexDefinition,
  type KeyAttribute,
  type ProvisionedCapacity,
  type TableDefinition,
} from '@review-assistant/shared';
