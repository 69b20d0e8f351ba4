import { isPortFree } from '@review-assistant/local-worker';

/** A port the system needs is taken; the message names the port and the variable that moves it. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly envName: string,
    readonly service: string,
  ) {
    super(
      `Port ${port} (${service}) is already in use. Stop whatever listens there (\`ss -ltnp 'sport = :${port}'\` shows it), ` +
        `or pick another port: ${envName}=${port + 1} npm start`,
    );
  }
}

/** Throws {@link PortInUseError} for the first port that is taken. */
export async function assertPortsFree(ports: Array<{ port: number; host: string; envName: string; service: string }>): Promise<void> {
  for (const entry of ports) {
    if (!(await isPortFree(entry.port, entry.host))) throw new PortInUseError(entry.port, entry.envName, entry.service);
  }
}
