import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A CA, a server certificate it signed for 127.0.0.1, and an unrelated CA, as PEM files. */
export interface TestCertificates {
  readonly caPath: string;
  readonly otherCaPath: string;
  readonly serverKey: string;
  readonly serverCert: string;
  remove(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { stdio: 'pipe' });
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: Buffer };
    throw new Error(
      code === 'ENOENT'
        ? 'the TLS fault test needs the openssl CLI on PATH (apt-get install openssl)'
        : `openssl ${args[0]} failed: ${stderr?.toString() ?? String(error)}`,
    );
  }
}

function makeCa(dir: string, name: string): { key: string; cert: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  openssl([
    'req',
    '-x509',
    ...EC,
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { key, cert };
}

/** Generates the certificates with the `openssl` CLI in a temp directory (EC P-256, valid one day). */
export function generateTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'dataverk-faults-tls-'));
  const ca = makeCa(dir, 'dataverk-test-ca');
  const other = makeCa(dir, 'dataverk-other-ca');
  const key = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const cert = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(['req', ...EC, '-keyout', key, '-out', csr, '-subj', '/CN=127.0.0.1']);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '1',
    '-extfile',
    ext,
  ]);
  return {
    caPath: ca.cert,
    otherCaPath: other.cert,
    serverKey: readFileSync(key, 'utf8'),
    serverCert: readFileSync(cert, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
