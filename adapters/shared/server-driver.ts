import { CheckpointError } from '../../src/errors.js';

/**
 * Loads a server adapter's optional driver package (`pg`, `ioredis`) through
 * `load`. A package that cannot be loaded becomes `driver-missing`, naming the
 * package to install, instead of a module-resolution stack trace.
 *
 * @example
 * ```ts
 * import { loadDriver } from './server-driver.js';
 * const pg = await loadDriver('postgres', 'pg', () => import('pg'));
 * ```
 */
export async function loadDriver<T>(adapter: string, pkg: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new CheckpointError('driver-missing', {
      adapter,
      cause: error,
      detail: `the ${adapter} adapter needs the "${pkg}" package, which could not be loaded (${
        error instanceof Error ? error.message.split('\n')[0] : String(error)
      }): run \`npm install ${pkg}\``,
    });
  }
}

/**
 * A server URL fit for error messages: the password (in the authority or in a
 * `password` query parameter) is removed; a string that is not a URL is not
 * echoed at all, since it may hold a secret in a form this cannot strip.
 *
 * @example
 * ```ts
 * import { publicUrl } from './server-driver.js';
 * publicUrl('postgresql://app:secret@db:5432/app'); // 'postgresql://app@db:5432/app'
 * ```
 */
export function publicUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the configured server (its connection string is not a URL)';
  }
  parsed.password = '';
  for (const name of ['password', 'sslpassword']) parsed.searchParams.delete(name);
  return parsed.toString();
}
