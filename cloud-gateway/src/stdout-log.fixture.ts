// Child process of stdout-log.test.ts: logs a few short lines (less than the 4 KiB batch, so they
// are still buffered) through the gateway's destination, then ends the way argv[2] says.
import { pino } from 'pino';
import { stdoutLog } from './stdout-log.js';

const log = stdoutLog({ flushIntervalMs: 60_000 });
const logger = pino({ base: { service: 'gateway' } }, log.stream);
for (let index = 0; index < 3; index += 1) logger.info({ index }, 'buffered line');
const how = process.argv[2];
if (how === 'exit') process.exit(3);
if (how === 'throw') throw new Error('crash after logging');
if (how === 'rejection') void Promise.reject(new Error('unhandled after logging'));
if (how === 'close') log.close();
