// A loopback TCP proxy that a test can cut and restore, to play a server outage without
// stopping the shared Redis or PostgreSQL server itself.
import net from 'node:net';

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private frozen = false;
  private listenPort = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** The port clients connect to; stays the same across cut() and restore(). */
  get port(): number {
    return this.listenPort;
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      const pair = { client, upstream };
      this.pairs.add(pair);
      upstream.pipe(client);
      if (!this.frozen) client.pipe(upstream);
      client.on('close', () => {
        upstream.destroy();
        this.pairs.delete(pair);
      });
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
    this.listenPort = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** The outage: refuse new connections and drop every open one. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A hung server: connections stay open but requests are no longer passed on. */
  freeze(): void {
    this.frozen = true;
    for (const { client, upstream } of this.pairs) client.unpipe(upstream);
  }

  /** The hung server answers again, starting with what it was sent meanwhile. */
  thaw(): void {
    this.frozen = false;
    for (const { client, upstream } of this.pairs) client.pipe(upstream);
  }

  /** The server is back, on the same port. */
  restore(): Promise<void> {
    return this.start();
  }

  stop(): Promise<void> {
    return this.cut();
  }
}

/** A loopback port on which nothing listens (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
