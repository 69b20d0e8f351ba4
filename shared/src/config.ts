import { z } from 'zod';

/** One configuration value: explicit option, then environment variable, then default. */
export interface ConfigEntry<S extends z.ZodType = z.ZodType> {
  /** Environment variable name, e.g. `PORT`. */
  env: string;
  schema: S;
  /** Used when neither an option nor the variable is given; omit for optional values. */
  default?: z.input<S>;
  /** An example value, printed when the value is invalid. */
  example: string;
  description: string;
  /** Secrets are never echoed back in error messages. */
  secret?: boolean;
}

export type ConfigSpec = Record<string, ConfigEntry>;
export type ConfigOf<T extends ConfigSpec> = { [K in keyof T]: z.output<T[K]['schema']> };
export type ConfigOverrides<T extends ConfigSpec> = { [K in keyof T]?: z.input<T[K]['schema']> | undefined };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `invalid configuration:\n${problems.map((problem) => `  - ${problem.variable}: ${problem.message}`).join('\n')}`,
    );
  }
}

export function configEntry<S extends z.ZodType>(entry: ConfigEntry<S>): ConfigEntry<S> {
  return entry;
}

/**
 * Reads every entry of `spec` once and validates it; throws one `ConfigError` that names each bad
 * variable with an example value. Empty environment strings count as unset.
 */
export function loadConfig<T extends ConfigSpec>(
  spec: T,
  options: { overrides?: ConfigOverrides<T>; env?: Record<string, string | undefined> } = {},
): ConfigOf<T> {
  const env = options.env ?? process.env;
  const result: Record<string, unknown> = {};
  const problems: { variable: string; message: string }[] = [];
  for (const [key, entry] of Object.entries(spec)) {
    const override = options.overrides?.[key];
    const fromEnv = env[entry.env];
    const raw = override !== undefined ? override : fromEnv !== undefined && fromEnv !== '' ? fromEnv : entry.default;
    const parsed = entry.schema.safeParse(raw);
    if (parsed.success) {
      result[key] = parsed.data;
    } else {
      const shown = entry.secret || raw === undefined ? '' : ` (got ${JSON.stringify(raw)})`;
      const reason = parsed.error.issues[0]?.message ?? 'invalid value';
      problems.push({
        variable: entry.env,
        message: `${reason}${shown}; example: ${entry.env}=${entry.example}`,
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result as ConfigOf<T>;
}

/** Boolean from `true/false/1/0/yes/no/on/off` (z.coerce.boolean would read "false" as true). */
export const envBoolean = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((value) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(value), 'expected true or false')
    .transform((value) => ['true', '1', 'yes', 'on'].includes(value)),
]);

export const envPort = z.coerce.number().int().min(0, 'expected a port number 0-65535').max(65535, 'expected a port number 0-65535');

export const envUrl = z.url('expected a URL such as http://127.0.0.1:8000');

/** Comma-separated list; blank items dropped. */
export const envList = z
  .union([z.array(z.string()), z.string()])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((item) => item.trim()).filter(Boolean));

export const envPositiveInt = z.coerce.number().int().positive('expected a positive integer');
