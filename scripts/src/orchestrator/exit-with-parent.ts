// Preloaded (`node --import`) into every service `npm start` runs: when the orchestrator dies
// without cleaning up (SIGKILL, crash), the parent pid changes and the service ends itself, so
// no orphan keeps a port. The timer is unref'd and never keeps a finished service alive.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 500).unref();
export {};
