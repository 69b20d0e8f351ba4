import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../release/gateway-release.js';
import { LOG_TABLE_ACTIONS, REGISTRY_TABLE_ACTIONS } from './identity.js';

/** SDK v3 command class (client or document client) → the IAM action it needs. */
const ACTION_OF: Record<string, string> = {
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  BatchWriteItemCommand: 'dynamodb:BatchWriteItem',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  PutCommand: 'dynamodb:PutItem',
  PutItemCommand: 'dynamodb:PutItem',
  GetCommand: 'dynamodb:GetItem',
  GetItemCommand: 'dynamodb:GetItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  TransactWriteCommand: 'dynamodb:TransactWriteItems',
  TransactGetCommand: 'dynamodb:TransactGetItems',
};

async function sourceFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !file.includes('/testing/'));
}

describe('the instance role\'s DynamoDB actions', () => {
  it('are exactly the ones the gateway\'s code sends, per table (nothing unused, nothing missing)', async () => {
    const gatewaySource = join(REPO_ROOT, 'cloud-gateway', 'src');
    const used = { log: new Set<string>(), registry: new Set<string>() };
    for (const file of await sourceFiles(gatewaySource)) {
      const path = relative(gatewaySource, file);
      // table creation is `npm run dynamodb:tables` against a local server, not the running gateway
      if (path === 'dynamodb/ensure-tables.ts') continue;
      const text = await readFile(file, 'utf8');
      if (!/@aws-sdk\/(lib|client)-dynamodb/.test(text)) continue;
      for (const [, command] of text.matchAll(/new (\w+Command)\(/g)) {
        const action = ACTION_OF[command as string];
        expect(action, `${path}: ${command} has no known IAM action`).toBeDefined();
        (path.startsWith('logs/') ? used.log : used.registry).add(action as string);
      }
    }
    expect([...used.log].sort()).toEqual([...LOG_TABLE_ACTIONS].sort());
    expect([...used.registry].sort()).toEqual([...REGISTRY_TABLE_ACTIONS].sort());
  });
});
