import { describe, expect, it } from 'vitest';
import { postgresAdapter, postgresErrorCode } from 'xstate-checkpoint/adapters/postgres';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { pgConfig, postgresAvailable, redisAvailable, redisUrl } from '../server/support.js';
import { errorOf } from '../helpers/errors.js';

// Errors of the server adapters that say what happened: a login refused is `auth` with
// advice about the user, password and connection string (not "give the process write
// access"), and a driver that is not installed is `driver-missing` naming the package.
const [pgReady, redisReady] = await Promise.all([postgresAvailable(), redisAvailable()]);

// What Node throws for `import('pg')` when pg is not installed.
const notInstalled = (pkg: string) => () =>
  Promise.reject(
    Object.assign(new Error(`Cannot find package '${pkg}' imported from /app/node_modules/xstate-checkpoint`), {
      code: 'ERR_MODULE_NOT_FOUND',
    }),
  );

describe('driver-missing', () => {
  it('postgres: names pg and how to install it', async () => {
    const adapter = postgresAdapter({ driver: notInstalled('pg') });
    const error = await errorOf(adapter.list('k'));
    expect(error.code).toBe('driver-missing');
    expect(error.message).toContain('npm install pg');
    expect(error.message).not.toMatch(/Check the device|write access/);
    await adapter.dispose();
  });

  it('redis: names ioredis and how to install it', async () => {
    const adapter = redisAdapter({ driver: notInstalled('ioredis'), onWarning: () => undefined });
    const error = await errorOf(
      adapter.write('k', { seq: 1, epoch: 0, createdAt: 0, byteLength: 1, bytes: new Uint8Array(1) }),
    );
    expect(error.code).toBe('driver-missing');
    expect(error.message).toContain('npm install ioredis');
    await adapter.dispose();
  });
});

describe('auth', () => {
  it('maps every SQLSTATE of class 28 to auth, and insufficient privilege stays permission', () => {
    const pgError = (code: string) => Object.assign(new Error('x'), { code });
    expect(['28000', '28P01'].map((code) => postgresErrorCode(pgError(code)))).toEqual(['auth', 'auth']);
    expect(postgresErrorCode(pgError('42501'))).toBe('permission');
  });

  it.skipIf(!pgReady)('postgres: a role the server does not know is auth, naming the server', async () => {
    const adapter = postgresAdapter({
      poolConfig: { ...pgConfig(), user: 'xsc_no_such_role' },
      retry: { attempts: 1 },
    });
    const error = await errorOf(adapter.list('k'));
    expect(error.code).toBe('auth');
    expect(error.message).toContain('xsc_no_such_role@');
    expect(error.message).toMatch(/user name, the password and the connection string/);
    await adapter.dispose();
  });

  it.skipIf(!redisReady)('redis: a wrong user or password is auth, without the password in the message', async () => {
    const url = new URL(redisUrl());
    url.username = 'xsc-no-such-user';
    url.password = 's3cret-pw';
    const adapter = redisAdapter({ url: url.toString(), onWarning: () => undefined, attempts: 1 });
    const error = await errorOf(adapter.list('k'));
    expect(error.code).toBe('auth');
    expect(error.message).not.toContain('s3cret-pw');
    expect(error.message).toContain('xsc-no-such-user@');
    await adapter.dispose();
  });
});
