import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeWordVectorFile, encodeWordVectorFile } from './word-vector-file.js';
import type { WordVectorTable } from './word-vectors.js';

const table: WordVectorTable = {
  dims: 3,
  words: ['vegan', 'café', 'wait'],
  values: Int8Array.from([127, 0, -5, 1, 2, 3, -127, 64, 0]),
  scales: Float32Array.from([0.01, 0.02, 0.03]),
  weights: Float32Array.from([0.9, 0.8, 0.5]),
};
const source = { name: 'test vectors', licence: 'PDDL', url: 'none' };

describe('word-vector file', () => {
  it('round-trips words (UTF-8), values, scales, weights and the source', () => {
    const { table: decoded, manifest } = decodeWordVectorFile(encodeWordVectorFile(table, source, 'all of them'));
    expect(decoded).toEqual(table);
    expect(manifest).toMatchObject({ source, selection: 'all of them', dims: 3, words: 3, weighted: true });
  });

  it('refuses a file whose content does not match its checksum', () => {
    const content = gunzipSync(encodeWordVectorFile(table, source, 'all'));
    content[content.length - 40] = content[content.length - 40]! ^ 0xff;
    expect(() => decodeWordVectorFile(gzipSync(content))).toThrow(/checksum mismatch/);
    expect(() => decodeWordVectorFile(Buffer.from('plain text'))).toThrow(/not a gzip file/);
  });
});
