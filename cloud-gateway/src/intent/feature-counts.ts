/**
 * Occurrence counts of hashed feature ids, kept in the order each id was first added (the order a
 * `Map` iterates, so sums over the features come out bit for bit the same), in typed arrays that
 * a scorer reuses across predictions: an open-addressing table of entry numbers, cleared through
 * the list of entries it holds. A `Map` reused with `clear()` gets a new backing store on every
 * clear and regrows it while counting (about 21 kB per prediction that lived long enough to need
 * a full collection).
 */
export class FeatureCounts {
  /** The distinct ids, in first-seen order; `[0, size)` are in use. */
  ids: Uint32Array;
  /** How often each id of `ids` was added. */
  counts: Uint32Array;
  /** How many distinct ids were added since the last `clear()`. */
  size = 0;
  /** Open-addressing table: entry number + 1 per slot, 0 when empty; at most half full. */
  private slots: Int32Array;
  /** The slot of each entry, so that `clear()` empties only the slots in use. */
  private entrySlots: Int32Array;
  private mask: number;

  constructor(capacity = 256) {
    let entries = 16;
    while (entries < capacity) entries *= 2;
    this.ids = new Uint32Array(entries);
    this.counts = new Uint32Array(entries);
    this.entrySlots = new Int32Array(entries);
    this.slots = new Int32Array(entries * 2);
    this.mask = entries * 2 - 1;
  }

  clear(): void {
    const { slots, entrySlots } = this;
    for (let entry = 0; entry < this.size; entry += 1) slots[entrySlots[entry]!] = 0;
    this.size = 0;
  }

  /** Counts one occurrence of `id` (an unsigned 32-bit integer). */
  add(id: number): void {
    if (this.size === this.ids.length) this.grow();
    const { slots, ids, mask } = this;
    let slot = slotOf(id) & mask;
    for (;;) {
      const entry = slots[slot]!;
      if (entry === 0) break;
      if (ids[entry - 1] === id) {
        this.counts[entry - 1] = this.counts[entry - 1]! + 1;
        return;
      }
      slot = (slot + 1) & mask;
    }
    const entry = this.size;
    ids[entry] = id;
    this.counts[entry] = 1;
    this.entrySlots[entry] = slot;
    slots[slot] = entry + 1;
    this.size = entry + 1;
  }

  /** Twice the room, the entries kept in their order. */
  private grow(): void {
    const entries = this.ids.length * 2;
    const ids = new Uint32Array(entries);
    const counts = new Uint32Array(entries);
    ids.set(this.ids);
    counts.set(this.counts);
    this.ids = ids;
    this.counts = counts;
    this.entrySlots = new Int32Array(entries);
    this.slots = new Int32Array(entries * 2);
    this.mask = entries * 2 - 1;
    for (let entry = 0; entry < this.size; entry += 1) {
      let slot = slotOf(ids[entry]!) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = entry + 1;
      this.entrySlots[entry] = slot;
    }
  }
}

/** Spreads the ids (already hashes, masked to their low bits) over the table. */
function slotOf(id: number): number {
  return Math.imul(id ^ (id >>> 16), 0x45d9f3b) >>> 0;
}
