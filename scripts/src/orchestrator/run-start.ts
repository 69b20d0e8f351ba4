import { setTimeout as sleep } from 'node:timers/promises';
import pc from 'picocolors';
import { ConfigError } from '@review-assistant/shared';
import { launcherChain, watchLauncherChain } from './launcher-chain.js';
import { createPrefixedPrinter } from './log-lines.js';
import { startSystem, type RunningSystem, type StartSystemOptions } from './orchestrator.js';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const DUPLICATE_SIGNAL_WINDOW_MS = 1_500;

/**
 * `npm start` as a function: starts the system, stops it on Ctrl-C / SIGTERM / SIGHUP (a second
 * signal kills at once), shuts everything down when one service dies, and exits the process.
 */
export async function runStart(options: Omit<StartSystemOptions, 'signal'>): Promise<never> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const say = createPrefixedPrinter('start', 'blue', write);
  const aborter = new AbortController();
  let system: RunningSystem | undefined;
  let signalled = false;

  let firstSignalAt = 0;
  const onSignal = (received: NodeJS.Signals) => {
    // One Ctrl-C can arrive twice: from the terminal (to the whole process group) and relayed by
    // the tsx/npm wrapper processes. Only a later, deliberate second press kills at once.
    if (signalled && Date.now() - firstSignalAt < DUPLICATE_SIGNAL_WINDOW_MS) return;
    if (signalled) {
      say(`${received} again: killing everything now`);
      system?.kill();
      process.exit(130);
    }
    signalled = true;
    firstSignalAt = Date.now();
    say(`${received} received: stopping (press Ctrl-C again to kill at once)`);
    if (system === undefined) {
      aborter.abort(new Error(`${received} received during start-up`));
      return;
    }
    void system.stop().then(
      () => {
        say('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        say(pc.red(`stopping failed: ${(error as Error).message}`));
        system?.kill();
        process.exit(1);
      },
    );
  };
  for (const name of SIGNALS) process.on(name, onSignal);
  watchLauncherChain(launcherChain(), (pid) => {
    say(`the launching process (pid ${pid}) has exited`);
    onSignal('SIGTERM');
  });

  try {
    system = await startSystem({ ...options, write, signal: aborter.signal });
  } catch (error) {
    if (signalled) {
      say('stopped during start-up');
      process.exit(0);
    }
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    say(pc.red(`could not start: ${message}`));
    process.exit(1);
  }

  const died = await system.unexpectedExit;
  const exit = await died.exited;
  // Ctrl-C in a terminal signals the whole foreground group at once: a service may exit before
  // our own SIGINT is handled. Give that signal a moment to arrive so it is not reported as a crash.
  await sleep(500);
  if (signalled) return new Promise<never>(() => {});
  say(pc.red(`${died.name} exited unexpectedly (${exit.code ?? exit.signal}); stopping everything`));
  await system.stop().catch(() => system?.kill());
  process.exit(1);
}
