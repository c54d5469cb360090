import { readFile } from 'node:fs/promises';
import { ProbeError } from '../../src/core/errors.js';

/**
 * Loads a PEM CA bundle named in a probe's `ca` option, once per probe
 * instance. A missing or unreadable file is a config problem, reported on the
 * first run (not at startup) so the rest of the service still comes up.
 */
export function caLoader(path: string | undefined): () => Promise<Buffer | undefined> {
  let loaded: Promise<Buffer> | undefined;
  return async () => {
    if (path === undefined) return undefined;
    loaded ??= readFile(path).then((pem) => {
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
        throw new ProbeError('config', `ca file ${path} holds no PEM certificate`, { hint: CA_HINT });
      }
      return pem;
    });
    try {
      return await loaded;
    } catch (error) {
      // Let the next run read the file again: it may have been mounted late.
      loaded = undefined;
      if (error instanceof ProbeError) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ProbeError('config', `cannot read ca file ${path} (${code})`, { hint: CA_HINT, cause: error });
    }
  };
}

const CA_HINT = 'the `ca` option must name a readable PEM file holding the CA certificate(s) that signed the server certificate';
