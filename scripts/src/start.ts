// `npm start`: the whole system on one machine (embedded Chroma, worker, gateway) with the UI on
// http://localhost:8080. Everything happens in ./orchestrator; see README "Quick start".
import { fileURLToPath } from 'node:url';
import { runStart } from './orchestrator/run-start.js';

await runStart({ repoRoot: fileURLToPath(new URL('../..', import.meta.url)) });
