import type { ReviewRecord, VectorStore } from '../ports.js';
import { KeywordIndex, type KeywordIndexOptions } from './keyword-index.js';

interface Entry {
  revision: string;
  index: Promise<KeywordIndex>;
}

/**
 * One keyword index per collection, built from `VectorStore.scanAll` on first use and rebuilt
 * when the collection's revision changes (records added, or the collection recreated by
 * `ingest --reset`). Concurrent callers share one build.
 */
export class KeywordIndexCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: VectorStore,
    private readonly options: KeywordIndexOptions = {},
  ) {}

  /** `revision` may be passed when the caller already read it (saves a round trip). */
  async get(collection: string, knownRevision?: string): Promise<KeywordIndex> {
    const revision = knownRevision ?? (await this.store.revision(collection));
    const entry = this.entries.get(collection);
    if (entry && entry.revision === revision) return entry.index;
    const index = this.build(collection);
    this.entries.set(collection, { revision, index });
    index.catch(() => {
      if (this.entries.get(collection)?.index === index) this.entries.delete(collection);
    });
    return index;
  }

  private async build(collection: string): Promise<KeywordIndex> {
    const records: ReviewRecord[] = [];
    for await (const page of this.store.scanAll(collection)) records.push(...page);
    return new KeywordIndex(records, this.options);
  }
}
