import { z } from 'zod';

/** One labelled text: `[text, intent]` (`intent` is `oos` for out-of-scope). */
export type LabelledText = [string, string];

const Pairs = z.array(z.tuple([z.string(), z.string()]));

/** `{"in_scope": [...], "oos": [...]}` as in `data/clinc150/*.json`. */
const SplitFileSchema = z.object({ in_scope: Pairs, oos: Pairs });

/** CLINC150's `data_full.json` layout: `train`/`val`/`test` plus `oos_train`/`oos_val`/`oos_test`. */
const FullFileSchema = z
  .object({ train: Pairs, val: Pairs, test: Pairs, oos_train: Pairs, oos_val: Pairs, oos_test: Pairs })
  .partial();

export interface ClincSplit {
  inScope: LabelledText[];
  outOfScope: LabelledText[];
}

export type FullSplitName = 'train' | 'val' | 'test';

/**
 * Reads a CLINC150 file: the split format, or the full format (`split` picks the part; default
 * `test` when present, else `val`). Throws with a message naming the expected shape.
 */
export function parseClincFile(raw: unknown, split?: FullSplitName): ClincSplit {
  const simple = SplitFileSchema.safeParse(raw);
  if (simple.success) return { inScope: simple.data.in_scope, outOfScope: simple.data.oos };
  const full = FullFileSchema.safeParse(raw);
  if (full.success) {
    const chosen = split ?? (full.data.test ? 'test' : full.data.val ? 'val' : 'train');
    const inScope = full.data[chosen];
    const outOfScope = full.data[`oos_${chosen}`] ?? [];
    if (inScope !== undefined) return { inScope, outOfScope };
  }
  throw new Error(
    'not a CLINC150 file: expected {"in_scope": [[text, intent], ...], "oos": [[text, "oos"], ...]} or the full format with "val"/"test" and "oos_val"/"oos_test"',
  );
}

/** `domains.json`: domain → intents. Returns intent → domain. */
export function parseDomains(raw: unknown): Record<string, string> {
  const domains = z.record(z.string(), z.array(z.string())).parse(raw);
  const byIntent: Record<string, string> = {};
  for (const [domain, intents] of Object.entries(domains)) for (const intent of intents) byIntent[intent] = domain;
  return byIntent;
}

/** The project's own review questions (`data/dining-utterances.json`). */
export const DiningUtterancesSchema = z.object({
  description: z.string(),
  train: Pairs,
  heldOut: Pairs,
});
export type DiningUtterances = z.infer<typeof DiningUtterancesSchema>;
