/**
 * `npm run package:gateway -w infra [-- --out FILE] [--no-build]`: builds the gateway release
 * tarball (default infra/release/cloud-gateway.tgz) that the EC2 instance and the gateway image
 * install. See docs/DEPLOY.md.
 */
import { parseArgs } from 'node:util';
import { buildGatewayRelease } from './gateway-release.js';

try {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'no-build': { type: 'boolean', default: false } } });
  await buildGatewayRelease({ ...(values.out ? { outFile: values.out } : {}), build: !values['no-build'] });
} catch (error) {
  console.error(`package:gateway failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
