/**
 * A packed word-vector subset as one file (the worker's offline embedder ships one in the
 * repository): gzip of `"RAWORDV1" | u32 LE manifest length | manifest JSON | words (UTF-8, one
 * per line) | int8 values | float32 scales | float32 weights | SHA-256 of all before`.
 * The manifest names the source and licence of the vectors; the checksum is verified on read.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { WordVectorSource, WordVectorTable } from './word-vectors.js';

const MAGIC = Buffer.from('RAWORDV1', 'ascii');
const CHECKSUM_BYTES = 32;
export const WORD_VECTOR_FILE_FORMAT = 'review-assistant.word-vectors';

const ManifestSchema = z.object({
  format: z.literal(WORD_VECTOR_FILE_FORMAT),
  formatVersion: z.literal(1),
  source: z.object({ name: z.string(), licence: z.string(), url: z.string() }),
  /** What the subset was chosen for, e.g. "training vocabulary + 20000 most frequent words". */
  selection: z.string(),
  dims: z.number().int().positive(),
  words: z.number().int().positive(),
  wordBytes: z.number().int().nonnegative(),
  weighted: z.boolean(),
});
export type WordVectorFileManifest = z.infer<typeof ManifestSchema>;

export class WordVectorFileError extends Error {
  override readonly name = 'WordVectorFileError';
}

export function encodeWordVectorFile(table: WordVectorTable, source: WordVectorSource, selection: string): Buffer {
  const words = Buffer.from(table.words.join('\n'), 'utf8');
  const manifest: WordVectorFileManifest = {
    format: WORD_VECTOR_FILE_FORMAT,
    formatVersion: 1,
    source,
    selection,
    dims: table.dims,
    words: table.words.length,
    wordBytes: words.length,
    weighted: table.weights !== undefined,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(manifestBytes.length);
  const parts = [MAGIC, length, manifestBytes, words, Buffer.from(table.values.buffer, table.values.byteOffset, table.values.byteLength), Buffer.from(table.scales.buffer, table.scales.byteOffset, table.scales.byteLength)];
  if (table.weights !== undefined) parts.push(Buffer.from(table.weights.buffer, table.weights.byteOffset, table.weights.byteLength));
  const content = Buffer.concat(parts);
  return gzipSync(Buffer.concat([content, createHash('sha256').update(content).digest()]), { level: 9 });
}

export function decodeWordVectorFile(compressed: Uint8Array): { table: WordVectorTable; manifest: WordVectorFileManifest } {
  let content: Buffer;
  try {
    content = gunzipSync(compressed);
  } catch (error) {
    throw new WordVectorFileError(`not a gzip file (${(error as Error).message})`, { cause: error });
  }
  if (content.length < MAGIC.length + 4 + CHECKSUM_BYTES || !content.subarray(0, MAGIC.length).equals(MAGIC)) throw new WordVectorFileError('not a word-vector file (bad magic bytes)');
  const signed = content.subarray(0, content.length - CHECKSUM_BYTES);
  if (!createHash('sha256').update(signed).digest().equals(content.subarray(content.length - CHECKSUM_BYTES))) throw new WordVectorFileError('checksum mismatch');
  const manifestLength = signed.readUInt32LE(MAGIC.length);
  let offset = MAGIC.length + 4;
  const parsed = ManifestSchema.safeParse(JSON.parse(signed.subarray(offset, offset + manifestLength).toString('utf8')));
  if (!parsed.success) throw new WordVectorFileError(`invalid manifest: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  const manifest = parsed.data;
  offset += manifestLength;
  const expected = manifest.wordBytes + manifest.words * manifest.dims + 4 * manifest.words * (manifest.weighted ? 2 : 1);
  if (signed.length - offset !== expected) throw new WordVectorFileError(`the file holds ${signed.length - offset} bytes of vectors, the manifest says ${expected}`);
  const words = signed.subarray(offset, offset + manifest.wordBytes).toString('utf8').split('\n');
  offset += manifest.wordBytes;
  const copy = (bytes: number) => {
    const slice = new Uint8Array(signed.subarray(offset, offset + bytes)).slice().buffer;
    offset += bytes;
    return slice;
  };
  const values = new Int8Array(copy(manifest.words * manifest.dims));
  const scales = new Float32Array(copy(4 * manifest.words));
  const weights = manifest.weighted ? new Float32Array(copy(4 * manifest.words)) : undefined;
  if (words.length !== manifest.words) throw new WordVectorFileError(`${words.length} words, the manifest says ${manifest.words}`);
  return { table: { dims: manifest.dims, words, values, scales, ...(weights === undefined ? {} : { weights }) }, manifest };
}
