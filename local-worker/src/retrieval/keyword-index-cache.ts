import type { ReviewRecord, VectorStore } from '../ports.js';
import { KeywordIndex, type KeywordIndexOptions } from './keyword-index.js';

interface Entry {
  count: number;
  index: Promise<KeywordIndex>;
}

/**
 * One keyword index per collection, built from `VectorStore.scanAll` on first use and rebuilt
 * when the collection's record count changes (after an ingestion). Concurrent callers share one
 * build.
 */
export class KeywordIndexCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: VectorStore,
    private readonly options: KeywordIndexOptions = {},
  ) {}

  async get(collection: string): Promise<KeywordIndex> {
    const count = await this.store.count(collection);
    const entry = this.entries.get(collection);
    if (entry && entry.count === count) return entry.index;
    const index = this.build(collection);
    this.entries.set(collection, { count, index });
    index.catch(() => {
      if (this.entries.get(collection)?.index === index) this.entries.delete(collection);
    });
    return index;
  }

  invalidate(collection?: string): void {
    if (collection === undefined) this.entries.clear();
    else this.entries.delete(collection);
  }

  private async build(collection: string): Promise<KeywordIndex> {
    const records: ReviewRecord[] = [];
    for await (const page of this.store.scanAll(collection)) records.push(...page);
    return new KeywordIndex(records, this.options);
  }
}
