// A tiny HTTP reverse proxy on 127.0.0.1 in front of several gateway processes: every request
// goes to the upstream the route function picks (by default the next one in turn), on a fresh
// upstream connection, so a browser's consecutive requests land on different processes even
// over one keep-alive connection. It records which upstream served what (path only).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyLogEntry {
  method: string;
  path: string;
  upstream: number;
  status: number;
}

export type RouteFn = (req: http.IncomingMessage, proxy: RoundRobinProxy) => number | undefined;

export class RoundRobinProxy {
  upstreams: URL[] = [];
  readonly log: ProxyLogEntry[] = [];
  /** Picks the upstream index for a request; undefined → next in turn. */
  route: RouteFn | null = null;
  private next = 0;
  private server: http.Server | null = null;
  private listenPort = 0;

  get url(): string {
    return `http://127.0.0.1:${this.listenPort}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.forward(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.listenPort = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  /** The upstream that served the last request matching `test`, or undefined. */
  lastUpstreamOf(test: (e: ProxyLogEntry) => boolean): number | undefined {
    for (let i = this.log.length - 1; i >= 0; i--) if (test(this.log[i]!)) return this.log[i]!.upstream;
    return undefined;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.upstreams.length === 0) {
      res.writeHead(502).end();
      return;
    }
    const chosen = this.route?.(req, this);
    const index = chosen ?? this.next % this.upstreams.length;
    this.next = index + 1;
    const target = this.upstreams[index]!;
    const entry: ProxyLogEntry = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, upstream: index, status: 0 };
    this.log.push(entry);
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (up) => {
        entry.status = up.statusCode ?? 0;
        // Raw headers keep every Set-Cookie line as it was.
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  }
}
