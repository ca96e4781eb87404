import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VaultBackendUnsupportedError } from '../../errors.js';

/** A CA and a server certificate it signed for `127.0.0.1` and `localhost`, as PEM text. */
export interface LoopbackCertificate {
  readonly caCertPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const run = promisify(execFile);
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const VALID_DAYS = '2';

let cached: Promise<LoopbackCertificate> | undefined;

/**
 * The certificate of the testkit's TokenReview endpoint, made once per process with the `openssl`
 * CLI (node:crypto cannot issue certificates). Vault's Kubernetes auth talks TLS to the API server
 * it is given and trusts `kubernetes_ca_cert`, which it needs anyway outside a pod.
 *
 * @example
 * const { caCertPem, certPem, keyPem } = await loopbackCertificate();
 */
export function loopbackCertificate(): Promise<LoopbackCertificate> {
  cached ??= issueLoopbackCertificate().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function issueLoopbackCertificate(): Promise<LoopbackCertificate> {
  const directory = await mkdtemp(join(tmpdir(), 'dataverk-k8s-tls-'));
  const file = (name: string) => join(directory, name);
  try {
    await openssl([
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
      '-days',
      VALID_DAYS,
      '-subj',
      '/CN=dataverk-testkit-kubernetes-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await writeFile(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    await openssl([
      'req',
      ...EC_KEY,
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
      '-subj',
      '/CN=kube-apiserver',
    ]);
    await openssl([
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('server.pem'),
      '-days',
      VALID_DAYS,
      '-extfile',
      file('server.ext'),
    ]);
    const [caCertPem, certPem, keyPem] = await Promise.all(
      ['ca.pem', 'server.pem', 'server.key'].map((name) => readFile(file(name), 'utf8')),
    );
    return { caCertPem: String(caCertPem), certPem: String(certPem), keyPem: String(keyPem) };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const { code, stderr } = error as { code?: unknown; stderr?: unknown };
    throw new VaultBackendUnsupportedError(
      'real',
      'Kubernetes auth',
      code === 'ENOENT'
        ? 'the TokenReview endpoint needs a TLS certificate, made with the openssl CLI, and openssl is not on PATH (apt-get install openssl)'
        : `openssl ${args[0]} failed making the TokenReview endpoint's certificate: ${String(stderr ?? error)}`,
    );
  }
}
