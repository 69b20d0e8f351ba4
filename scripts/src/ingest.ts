/**
 * `npm run ingest -- <file.csv> [--collection NAME] [--reset] [--text-column NAME] ...`
 * Reads a review CSV into Chroma (see `ingestCsv`); prints a summary; exits non-zero on failure.
 */
import { parseArgs } from 'node:util';
import { CollectionNameSchema, DEFAULT_COLLECTION } from '@review-assistant/shared';
import { formatIngestSummary, ingestCsv } from '@review-assistant/local-worker';
import { openCliContext } from './cli/worker-context.js';

const usage = `usage: npm run ingest -- <file.csv> [--collection NAME] [--reset]
  [--text-column NAME] [--rating-column NAME] [--restaurant-column NAME] [--date-column NAME]
  [--title-column NAME] [--reviewer-column NAME] [--concurrency N] [--batch-size N] [--json]`;

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${flag} must be a positive integer (got ${value})`);
  return parsed;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      collection: { type: 'string', default: DEFAULT_COLLECTION },
      reset: { type: 'boolean', default: false },
      'text-column': { type: 'string' },
      'rating-column': { type: 'string' },
      'restaurant-column': { type: 'string' },
      'date-column': { type: 'string' },
      'title-column': { type: 'string' },
      'reviewer-column': { type: 'string' },
      concurrency: { type: 'string' },
      'batch-size': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new Error(usage);
  const collection = CollectionNameSchema.parse(values.collection);
  const concurrency = positiveInt(values.concurrency, '--concurrency');
  const writeBatchSize = positiveInt(values['batch-size'], '--batch-size');
  const context = await openCliContext();
  try {
    process.stderr.write(`embedding with ${context.embedder.modelId} (${context.backendReason}); Chroma at ${context.connection.url}\n`);
    const summary = await ingestCsv({
      file,
      store: context.connection.store,
      embedder: context.embedder,
      collection,
      reset: values.reset,
      columns: {
        text: values['text-column'],
        rating: values['rating-column'],
        restaurant: values['restaurant-column'],
        date: values['date-column'],
        title: values['title-column'],
        reviewer: values['reviewer-column'],
      },
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(writeBatchSize === undefined ? {} : { writeBatchSize }),
    });
    if (values.json) console.log(JSON.stringify(summary));
    else console.log(formatIngestSummary(summary));
  } finally {
    await context.connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(`ingest failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
