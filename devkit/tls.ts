/**
 * A throwaway CA and a server certificate for 127.0.0.1 and localhost, made with the openssl
 * command (scripts/install-redis.sh installs it), for tests of TLS to Redis. Removed with the
 * process's other temporary files by the caller (dir).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  dir: string;
  /** The CA's certificate (PEM): what a client trusts. */
  ca: string;
  /** The server's certificate and key (PEM), for 127.0.0.1 and localhost, signed by the CA. */
  cert: string;
  key: string;
}

function openssl(dir: string, ...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.error?.message ?? r.stderr}`);
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'thinkcap-tls-'));
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=thinkcap test CA');
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.cnf');
  return { dir, ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

/** redis-server's arguments for TLS only on `port` (no plain port), clients not asked for certificates. */
export function redisTlsServerArgs(certs: TestCertificates, port: number): string[] {
  return ['--port', '0', '--tls-port', String(port), '--tls-cert-file', certs.cert, '--tls-key-file', certs.key, '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no'];
}

/** redis-cli's arguments to reach such a server. */
export function redisTlsCliArgs(certs: TestCertificates): string[] {
  return ['--tls', '--cacert', certs.ca];
}
