import fc from 'fast-check';
import type { ZodType } from 'zod';
import { contractViolation, sendProbe, type Probe } from './http-probe.js';

export interface FuzzReport {
  /** One line per kind of violation (status and reason), with a count and the first example. */
  violations: string[];
  tried: number;
  statuses: Record<number, number>;
  seed: number;
}

/**
 * Sends `runs` random probes (fast-check, a fresh seed each run, printed with any failure) to a
 * live server one after another, and collects every response that breaks the HTTP edge contract.
 */
export async function fuzzServer<Generated>(options: {
  url: string;
  arbitrary: fc.Arbitrary<Generated>;
  runs: number;
  alive: () => boolean;
  prepare: (generated: Generated) => Probe;
  /** The error shape a path answers with. @default the project's `{"error": {"code", "message"}}` */
  errorSchemaFor?: (path: string) => ZodType;
}): Promise<FuzzReport> {
  const seed = Date.now() ^ Math.floor(Math.random() * 0x7fffffff);
  const found: string[] = [];
  const statuses: Record<number, number> = {};
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(options.arbitrary, async (generated) => {
      // prepared at send time: signatures carry the current timestamp and a fresh nonce
      const probe = options.prepare(generated);
      tried += 1;
      const result = await sendProbe(options.url, { ...probe, timeoutMs: 20_000 });
      if (result.kind === 'response') statuses[result.status] = (statuses[result.status] ?? 0) + 1;
      else if (!options.alive()) found.push(`${probe.method} ${probe.path}: the server died (${result.error})`);
      const violation = contractViolation(probe, result, options.errorSchemaFor?.(probe.path));
      if (violation) found.push(violation);
    }),
    { numRuns: options.runs, seed, endOnFailure: true },
  );
  return { violations: summarize(found), tried, statuses, seed };
}

function summarize(violations: string[]): string[] {
  const kinds = new Map<string, { count: number; example: string }>();
  for (const violation of violations) {
    const kind = violation.replace(/^.*?(→ \d+: [^:]*|: the server died)/, '$1').slice(0, 80);
    const entry = kinds.get(kind) ?? { count: 0, example: violation.slice(0, 300) };
    entry.count += 1;
    kinds.set(kind, entry);
  }
  return [...kinds.values()].map(({ count, example }) => `${count}× ${example}`);
}

/** The pino lines of a service that report a 5xx answer. */
export function serverErrorLines(lines: { text: string; json: Record<string, unknown> | undefined }[]): string[] {
  return lines.flatMap((line) => {
    const status = line.json?.['status'];
    return typeof status === 'number' && status >= 500 ? [line.text.slice(0, 300)] : [];
  });
}
