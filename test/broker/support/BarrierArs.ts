// An ArtifactResolutionService (HTTPS, mutual TLS, on 127.0.0.1) that holds every resolve
// until `expected` of them are waiting, then answers them all at once. So concurrent ACS
// requests are not only sent together: they are verified together, and only the atomic step
// in the store can decide which one logs in. `release()` answers whatever waits (used when an
// ACS request came back without resolving, so a test can never hang on the barrier).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { NS, parse } from '../../support/saml/golden.ts';
import type { TestPki } from '../../support/saml/pki.ts';

export interface BarrierCall {
  resolveId: string;
  artifact: string;
}

export class BarrierArs {
  readonly calls: BarrierCall[] = [];
  private waiting: Array<{ call: BarrierCall; res: import('node:http').ServerResponse }> = [];
  private server!: https.Server;
  private port = 0;
  /** How many resolves to hold before answering; the answer for each call. */
  expected = 1;
  respond: (call: BarrierCall) => string = () => '<unknown/>';

  constructor(private readonly pki: TestPki) {}

  get url(): string {
    return `https://127.0.0.1:${this.port}/broker/ars/1.13`;
  }

  async start(): Promise<this> {
    this.server = https.createServer(
      { key: this.pki.tlsServer.keyPem, cert: this.pki.tlsServer.certPem, ca: this.pki.clientCa.certPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const doc = parse(Buffer.concat(chunks).toString('utf8'));
          const resolve = doc.getElementsByTagNameNS(NS.samlp, 'ArtifactResolve')[0];
          const call = {
            resolveId: resolve?.getAttribute('ID') ?? '',
            artifact: doc.getElementsByTagNameNS(NS.samlp, 'Artifact')[0]?.textContent ?? '',
          };
          this.calls.push(call);
          this.waiting.push({ call, res });
          if (this.waiting.length >= this.expected) this.release();
        });
      },
    );
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Answer every waiting resolve now. */
  release(): void {
    for (const { call, res } of this.waiting.splice(0)) {
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      res.end(this.respond(call));
    }
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
