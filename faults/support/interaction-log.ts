import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InteractionRecordSchema, type InteractionRecord } from '@review-assistant/cloud-gateway';

/**
 * Every record of the gateway's local interaction log (`<DATA_DIR>/logs/interactions-*.jsonl`),
 * schema-checked; a line that does not parse (a half-written record) throws.
 */
export async function readInteractionLog(dataDir: string): Promise<InteractionRecord[]> {
  const directory = join(dataDir, 'logs');
  const files = (await readdir(directory).catch(() => [] as string[])).filter((name) => /^interactions-.*\.jsonl$/.test(name)).sort();
  const records: InteractionRecord[] = [];
  for (const file of files) {
    const text = await readFile(join(directory, file), 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) !== '') throw new Error(`${file}: the last record is not terminated (half-written)`);
    for (const [index, line] of lines.slice(0, -1).entries()) {
      try {
        records.push(InteractionRecordSchema.parse(JSON.parse(line)));
      } catch (error) {
        throw new Error(`${file} line ${index + 1} is not a whole interaction record: ${String(error)}`);
      }
    }
  }
  return records;
}
