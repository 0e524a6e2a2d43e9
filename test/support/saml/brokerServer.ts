// A real HTTPS ArtifactResolutionService on 127.0.0.1 with mutual TLS (throwaway CAs), answering
// each ArtifactResolve with whatever the test registered for that artifact. It checks the
// ArtifactResolve signature against our SP certificate, so the tests prove that too.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { SignedXml } from 'xml-crypto';
import { parse, NS } from './golden.ts';
import type { TestPki } from './pki.ts';

export interface ResolveCall {
  resolveId: string;
  artifact: string;
  contentType: string;
  soapAction: string | undefined;
  clientCertSubject: string | null;
  signatureValid: boolean;
  destination: string | null;
}

/** What to answer: a SOAP body, 'hang' (never answer), raw bytes, or a status with a body. */
export type Answer = string | 'hang' | Buffer | { status: number; body: string };
export type Responder = (call: ResolveCall) => Answer;

export class BrokerServer {
  readonly calls: ResolveCall[] = [];
  readonly responders = new Map<string, Responder>();
  private server!: https.Server;
  private readonly hanging: Array<() => void> = [];
  port = 0;

  constructor(
    private readonly pki: TestPki,
    private readonly rogue = false,
  ) {}

  get url(): string {
    return `https://127.0.0.1:${this.port}/broker/ars/1.13`;
  }

  async start(): Promise<this> {
    const cert = this.rogue ? this.pki.rogueServer : this.pki.tlsServer;
    this.server = https.createServer(
      { key: cert.keyPem, cert: cert.certPem, ca: this.pki.clientCa.certPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const doc = parse(body);
          const resolve = doc.getElementsByTagNameNS(NS.samlp, 'ArtifactResolve')[0]!;
          const artifact = doc.getElementsByTagNameNS(NS.samlp, 'Artifact')[0]?.textContent ?? '';
          let signatureValid = false;
          try {
            const sig = new SignedXml({ publicCert: this.pki.spActive.certPem });
            sig.loadSignature(resolve.getElementsByTagNameNS(NS.ds, 'Signature')[0]!);
            signatureValid = sig.checkSignature(body);
          } catch {
            signatureValid = false;
          }
          const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
          const call: ResolveCall = {
            resolveId: resolve.getAttribute('ID') ?? '',
            artifact,
            contentType: String(req.headers['content-type'] ?? ''),
            soapAction: req.headers.soapaction as string | undefined,
            clientCertSubject: peer?.subject?.CN ? String(peer.subject.CN) : null,
            signatureValid,
            destination: resolve.getAttribute('Destination'),
          };
          this.calls.push(call);
          const responder = this.responders.get(artifact);
          const answer = responder ? responder(call) : '<unknown/>';
          if (answer === 'hang') {
            this.hanging.push(() => res.destroy());
            return;
          }
          if (typeof answer === 'object' && !Buffer.isBuffer(answer)) {
            res.writeHead(answer.status, { 'content-type': 'text/xml; charset=utf-8' });
            res.end(answer.body);
            return;
          }
          res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
          res.end(answer);
        });
      },
    );
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const h of this.hanging.splice(0)) h();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
