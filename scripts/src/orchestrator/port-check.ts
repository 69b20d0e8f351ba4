import { createServer } from 'node:net';

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

/** Resolves true when `host:port` can be bound right now. */
export function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws {@link PortInUseError} for the first port that is taken. */
export async function assertPortsFree(ports: Array<{ port: number; host: string; envName: string; service: string }>): Promise<void> {
  for (const entry of ports) {
    if (!(await canListen(entry.port, entry.host))) throw new PortInUseError(entry.port, entry.envName, entry.service);
  }
}
