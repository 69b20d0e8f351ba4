/**
 * The Node flags production starts the gateway with: the one list that the EC2 unit
 * (`infra/src/user-data.ts`), the Docker image (`cloud-gateway/Dockerfile`, checked by a test), the
 * compiled-gateway tests and the benchmarks use. Measured in BENCHMARKS.md ("Gateway memory with
 * the intent model", "Gateway under 500 concurrent chat streams"); reasons in docs/GATEWAY.md.
 */
export const GATEWAY_NODE_FLAGS = [
  // V8's old-space limit: room for spikes (500 concurrent streams) while a leak cannot take the
  // 1 GiB t3.micro down with it.
  '--max-old-space-size=192',
  // Young generation capped at 4 MiB per semi-space (Node's default grows to 16 MiB under a burst
  // of short-lived stream objects). Smaller caps measured no lower peak but more CPU per burst.
  '--max-semi-space-size=4',
  // Lets the gateway run one full collection when start-up has settled (cloud-gateway/src/start-up-gc.ts):
  // the intent model's load garbage would otherwise stay resident in a quiet gateway.
  '--expose-gc',
  // One V8 background thread instead of four (concurrent marking, sweeping and compiling): a
  // t3.micro has two vCPUs; each thread kept its own malloc arena and stacks, about 4-7 MiB of RSS,
  // with no measured cost in CPU per chat turn or per 500-stream burst.
  '--v8-pool-size=1',
] as const;

/** {@link GATEWAY_NODE_FLAGS} as one `NODE_OPTIONS` value. */
export const GATEWAY_NODE_OPTIONS = GATEWAY_NODE_FLAGS.join(' ');
