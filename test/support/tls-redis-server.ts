// A TLS-only private redis-server asking for client certificates, with a CA, server and client
// certificates made by `openssl` in a temp folder, plus a second CA that signed nothing of this server.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { freePort } from './redis-server';

/** PEM file paths made for one test server. */
export interface TestCertificates {
  caFile: string;
  /** A CA that signed neither the server's nor the client's certificate. */
  otherCaFile: string;
  certFile: string;
  keyFile: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
}

function makeSigned(dir: string, name: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

export class TlsRedisServer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    readonly certificates: TestCertificates,
  ) {}

  /** Makes the certificates and starts redis-server on a free TLS port (no plain-TCP port). */
  static async start(extraArgs: string[] = []): Promise<TlsRedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'redis-scheduler-tls-'));
    makeCa(dir, 'ca');
    makeCa(dir, 'other-ca');
    makeSigned(dir, 'server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    makeSigned(dir, 'client', 'extendedKeyUsage=clientAuth\n');
    const certificates = { caFile: join(dir, 'ca.crt'), otherCaFile: join(dir, 'other-ca.crt'), certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') };
    const server = new TlsRedisServer(await freePort(), dir, certificates);
    server.child = spawn('redis-server', [
      '--port', '0', '--tls-port', String(server.port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--tls-cert-file', join(dir, 'server.crt'), '--tls-key-file', join(dir, 'server.key'),
      '--tls-ca-cert-file', certificates.caFile, '--tls-auth-clients', 'yes', ...extraArgs,
    ], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await server.answersPing())) {
      if (server.child.exitCode !== null || Date.now() > deadline) throw new Error(`TLS redis-server did not start on port ${server.port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return server;
  }

  get url(): string {
    return `rediss://127.0.0.1:${this.port}`;
  }

  private answersPing(): Promise<boolean> {
    const { caFile, certFile, keyFile } = this.certificates;
    return new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: this.port, ca: readFileSync(caFile), cert: readFileSync(certFile), key: readFileSync(keyFile) });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(1_000, () => done(false));
      socket.once('error', () => done(false));
      socket.once('secureConnect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    });
  }

  /** Stops the server and deletes the certificates. */
  async destroy(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
