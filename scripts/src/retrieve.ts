/**
 * `npm run retrieve -- [--collection NAME] [--k N] [--json] "question"`
 * Prints the top-k reviews for a question; with `--json` stdout carries exactly the
 * `/v1/retrieve` response body (`{"results": [...]}`) and everything else goes to stderr.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_COLLECTION, RetrieveRequestSchema } from '@review-assistant/shared';
import { HybridRetriever, retrieveReviews } from '@review-assistant/local-worker';
import { openCliContext } from './cli/worker-context.js';

const usage = `usage: npm run retrieve -- [--collection NAME] [--k N] [--json]
  [--restaurant NAME] [--min-rating N] [--max-rating N] [--from YYYY-MM-DD] [--to YYYY-MM-DD] "question"`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      collection: { type: 'string', default: DEFAULT_COLLECTION },
      k: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      restaurant: { type: 'string' },
      'min-rating': { type: 'string' },
      'max-rating': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  if (positionals.length === 0) throw new Error(usage);
  const filter = Object.fromEntries(
    Object.entries({
      restaurant: values.restaurant,
      minRating: values['min-rating'] === undefined ? undefined : Number(values['min-rating']),
      maxRating: values['max-rating'] === undefined ? undefined : Number(values['max-rating']),
      from: values.from,
      to: values.to,
    }).filter(([, value]) => value !== undefined),
  );
  // the same request schema as POST /v1/retrieve
  const parsed = RetrieveRequestSchema.safeParse({
    query: positionals.join(' '),
    k: Number(values.k),
    collection: values.collection,
    ...(Object.keys(filter).length === 0 ? {} : { filter }),
  });
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; '));
  const request = parsed.data;
  const context = await openCliContext();
  try {
    const retriever = new HybridRetriever({ store: context.connection.store, embedder: context.embedder });
    // the very function behind POST /v1/retrieve, so the two bodies cannot drift apart
    const body = await retrieveReviews(retriever, request);
    const { results } = body;
    if (values.json) {
      process.stdout.write(`${JSON.stringify(body)}\n`);
    } else if (results.length === 0) {
      console.log('no review matches this question');
    } else {
      for (const [index, item] of results.entries()) {
        const { restaurant, rating, date, title } = item.metadata;
        const heading = [restaurant, title, rating == null ? null : `${rating}★`, date].filter((part) => part != null && part !== '').join(' · ');
        console.log(`${index + 1}. [${item.id}] score ${item.score.toFixed(3)}${heading ? ` · ${heading}` : ''}`);
        console.log(`   ${item.text.replace(/\s+/g, ' ').slice(0, 300)}`);
      }
    }
  } finally {
    await context.connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(`retrieve failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
