import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A key and certificate pair on disk, plus their PEM text. */
export interface CertPair {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** The test CA (give `ca: ca.certFile` to a probe to trust it). */
  ca: CertPair;
  /** Signed by the CA for localhost and 127.0.0.1, valid 90 days. */
  valid: CertPair;
  /** Signed by the CA, valid for another 10 days (inside the 14-day warn window). */
  expiringSoon: CertPair;
  /** Signed by the CA, valid for another 2 days (inside the 3-day fail window). */
  expiringIn2Days: CertPair;
  /** Signed by the CA, expired yesterday. */
  expired: CertPair;
  /** Signed by the CA for other.example only. */
  wrongHost: CertPair;
  /** Signed by the CA, valid 400 days: outlives the CA (365 days), so the CA is the earliest expiry in its chain. */
  outlivesCa: CertPair;
  /** Self-signed for localhost and 127.0.0.1; its own certFile is its CA. */
  selfSigned: CertPair;
  cleanup(): Promise<void>;
}

const LOOPBACK_SAN = 'subjectAltName=DNS:localhost,IP:127.0.0.1';

/** openssl ca takes UTCTime: YYMMDDHHMMSSZ. */
function utcTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/^\d\d|[-:T]|\.\d+/g, '');
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim()}`, { cause: error });
  }
}

async function pair(dir: string, name: string): Promise<CertPair> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  return { certFile, keyFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
}

/**
 * Generates a throwaway CA and leaf certificates in a temp dir with the
 * system openssl (EC P-256 keys: fast). OpenSSL 3.0's `x509`/`req` cannot
 * back-date, so leaves are issued with `openssl ca -startdate/-enddate`.
 */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vitals-pki-'));
  try {
    await writeFile(path.join(dir, 'index.txt'), '');
    await writeFile(path.join(dir, 'index.txt.attr'), 'unique_subject = no\n');
    await writeFile(path.join(dir, 'serial'), '1000\n');
    await writeFile(
      path.join(dir, 'ca.cnf'),
      [
        '[ ca ]',
        'default_ca = test_ca',
        '[ test_ca ]',
        `dir = ${dir}`,
        'database = $dir/index.txt',
        'serial = $dir/serial',
        'new_certs_dir = $dir',
        'certificate = $dir/ca.crt',
        'private_key = $dir/ca.key',
        'default_md = sha256',
        'policy = loose',
        'copy_extensions = none',
        '[ loose ]',
        'commonName = supplied',
        '',
      ].join('\n'),
    );
    const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await openssl(
      ['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '365', '-subj', '/CN=vitals test CA',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
      dir,
    );

    const now = Date.now();
    const leaf = async (name: string, san: string, startMs: number, endMs: number): Promise<CertPair> => {
      await openssl(['req', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
      await writeFile(path.join(dir, `${name}.ext`), `[ leaf ]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n${san}\n`);
      await openssl(
        ['ca', '-batch', '-config', 'ca.cnf', '-in', `${name}.csr`, '-out', `${name}.crt`, '-notext',
          '-startdate', utcTime(startMs), '-enddate', utcTime(endMs), '-extfile', `${name}.ext`, '-extensions', 'leaf'],
        dir,
      );
      return pair(dir, name);
    };
    const day = 86_400_000;
    const ca = await pair(dir, 'ca');
    const valid = await leaf('valid', LOOPBACK_SAN, now - day, now + 90 * day);
    const expiringSoon = await leaf('expiring-soon', LOOPBACK_SAN, now - day, now + 10 * day);
    const expiringIn2Days = await leaf('expiring-2d', LOOPBACK_SAN, now - day, now + 2 * day);
    const expired = await leaf('expired', LOOPBACK_SAN, now - 30 * day, now - day);
    const outlivesCa = await leaf('outlives-ca', LOOPBACK_SAN, now - day, now + 400 * day);
    const wrongHost = await leaf('wrong-host', 'subjectAltName=DNS:other.example', now - day, now + 90 * day);
    await openssl(
      ['req', '-x509', ...ecKey, '-keyout', 'self-signed.key', '-out', 'self-signed.crt', '-days', '90',
        '-subj', '/CN=self-signed', '-addext', LOOPBACK_SAN],
      dir,
    );
    const selfSigned = await pair(dir, 'self-signed');
    return {
      dir,
      ca,
      valid,
      expiringSoon,
      expiringIn2Days,
      expired,
      wrongHost,
      outlivesCa,
      selfSigned,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
