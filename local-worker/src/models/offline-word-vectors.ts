/**
 * The word vectors of the offline embedding model: a small packed subset of pretrained English
 * vectors shipped in the repository (`local-worker/models/word-vectors.bin.gz`, written by
 * `npm run pack:vectors`; source and licence in its manifest and in NOTICE). Read once, lazily.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeWordVectorFile, WordVectors } from '@review-assistant/shared';

/** `local-worker/models/word-vectors.bin.gz`, resolved from the package root (works from src/ and dist/). */
export const offlineWordVectorsPath = fileURLToPath(new URL('../../models/word-vectors.bin.gz', import.meta.url));

let loaded: WordVectors | undefined;

export function loadOfflineWordVectors(path = offlineWordVectorsPath): WordVectors {
  if (path !== offlineWordVectorsPath) return new WordVectors(decodeWordVectorFile(readFileSync(path)).table);
  loaded ??= new WordVectors(decodeWordVectorFile(readFileSync(path)).table);
  return loaded;
}
