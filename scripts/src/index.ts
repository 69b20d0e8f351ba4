/** What other workspaces use of the scripts package: the process-tree helpers of the orchestrator (e2e start/stop test). */
export { isRunning, listDescendants } from './orchestrator/process-tree.js';
