// Child process of stdout-log.test.ts: logs a few short lines (less than the 16 KiB batch, so they
// are still buffered) through the gateway's destination, then ends the way argv[2] says.
import { pino } from 'pino';
import { stdoutLog } from './stdout-log.js';

const log = stdoutLog({ flushIntervalMs: 60_000 });
const logger = pino({ base: { service: 'gateway' } }, log.stream);
const how = process.argv[2];
// 'many': about 20 KiB of lines, written in several batches before the exit hook writes the rest
const count = how === 'many' ? 200 : 3;
for (let index = 0; index < count; index += 1) logger.info({ index, padding: 'x'.repeat(50) }, 'buffered line');
if (how === 'exit' || how === 'many') process.exit(3);
if (how === 'throw') throw new Error('crash after logging');
if (how === 'rejection') void Promise.reject(new Error('unhandled after logging'));
if (how === 'close') log.close();
