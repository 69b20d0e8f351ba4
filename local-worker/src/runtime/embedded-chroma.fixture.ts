// A second process for the embedded Chroma tests: `node --import tsx embedded-chroma.fixture.ts <dataDir> exit|hold`.
// Prints one JSON line {url, owned, pid}; with `hold` it keeps running (and owning) until killed.
import { ensureChroma } from './embedded-chroma.js';

const [dataDir, mode] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: embedded-chroma.fixture.ts <dataDir> exit|hold');
const chroma = await ensureChroma({ dataDir });
process.stdout.write(`${JSON.stringify({ url: chroma.url, owned: chroma.owned, pid: chroma.pid })}\n`);
if (mode === 'hold') setInterval(() => {}, 60_000);
