import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CheckpointAdapter } from '../src/adapter.js';
import { taggedJsonCodec } from '../src/codec/index.js';
import { systemClock, type Clock } from '../src/clock.js';
import { CheckpointError, isCheckpointError } from '../src/errors.js';
import { UsageError } from '../cli/args.js';
import { failureText } from '../cli/failure.js';
import type { MachineModule } from '../cli/machine.js';
import { BadRequest, reads, writes, type ApiContext } from './api.js';
import { findAssets, serveAsset } from './assets.js';
import { checkRequest } from './guard.js';
import { KeyIndex } from './keys.js';
import { openEventStream } from './live.js';
import { newToken } from './token.js';

/** Options of {@link startStudio}. */
export interface StudioOptions {
  readonly adapter: CheckpointAdapter;
  /** The `--machine` module, loaded: the page draws it and checks generations against it. */
  readonly machine?: MachineModule | undefined;
  /** `--machine` as given, for the write actions (the CLI commands load it themselves). */
  readonly machinePath?: string | undefined;
  /** Allow rollback and quarantine restore (`--write`). @default false */
  readonly write?: boolean;
  /** The port on 127.0.0.1. @default 0 (a free one) */
  readonly port?: number;
  /** The secret in every URL. @default a fresh {@link newToken} */
  readonly token?: string;
  /** The built page. @default found by {@link findAssets} */
  readonly assetsDir?: string;
  /** What the page calls the store. @default the adapter's name */
  readonly store?: string;
  /** Base of relative `--machine` paths. @default process.cwd() */
  readonly cwd?: string;
  /** Timers for polling, and `now()` for "time left" and the write actions' timestamps. @default systemClock */
  readonly clock?: Clock;
  /** Polling interval for new generations when the adapter has no notices. @default 1000 */
  readonly pollMs?: number;
  /** How often the number of keys is checked for the live list. @default 3000 */
  readonly keysPollMs?: number;
}

/** A running studio. */
export interface Studio {
  /** `http://127.0.0.1:<port>/<token>/`: what to open. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** Ends every open stream and stops listening. The adapter stays open (the caller owns it). */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};
const MAX_BODY = 64 * 1024;

const STATUS: Record<string, number> = {
  'not-found': 404,
  conflict: 409,
  'lock-held': 409,
  fenced: 409,
  'invalid-option': 400,
};
const UNAVAILABLE = new Set(['connection', 'auth', 'timeout', 'closed', 'io', 'permission', 'driver-missing']);

/**
 * Starts the checkpoint studio on 127.0.0.1: the page and its JSON API,
 * behind the token and the Host check ({@link checkRequest}), read-only
 * unless `write`. No CORS headers are ever sent, so other origins cannot read
 * its answers.
 *
 * @example
 * ```ts
 * import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
 * import { startStudio } from './server.js';
 * const studio = await startStudio({ adapter: fileAdapter({ dir: './state' }) });
 * console.log(`open ${studio.url}`);
 * await studio.close();
 * ```
 */
export async function startStudio(options: StudioOptions): Promise<Studio> {
  const assets = await findAssets(options.assetsDir);
  const clock = options.clock ?? systemClock;
  const token = options.token ?? newToken();
  const write = options.write ?? false;
  const codecs = options.machine?.codecs ?? [taggedJsonCodec];
  const index = new KeyIndex({ adapter: options.adapter, codecs, now: () => clock.now() });
  const ctx: ApiContext = {
    adapter: options.adapter,
    index,
    codecs,
    machine: options.machine,
    machinePath: options.machinePath,
    write,
    store: options.store ?? options.adapter.name,
    cwd: options.cwd ?? process.cwd(),
    now: () => clock.now(),
  };
  const streams = new Set<() => void>();
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const verdict = checkRequest(req, { token, port, write });
    if (!verdict.ok) return json(res, verdict.status, { error: { code: verdict.code, message: verdict.message } });
    const { path, query } = verdict;
    if (path === '') return void res.writeHead(308, { location: `/${token}/` }).end();
    if (req.method === 'POST') {
      const action = Object.hasOwn(writes, path) ? writes[path] : undefined;
      if (!action) return json(res, 404, { error: { code: 'not-found', message: `no action ${path}` } });
      const body = await readJson(req);
      const result = await action(ctx, body);
      index.invalidate();
      return json(res, 200, result);
    }
    if (path === '/api/events') {
      const stop = await openEventStream(res, query.get('key') ?? undefined, {
        adapter: options.adapter,
        index,
        clock,
        ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
        ...(options.keysPollMs === undefined ? {} : { keysPollMs: options.keysPollMs }),
      });
      streams.add(stop);
      res.on('close', () => streams.delete(stop));
      return;
    }
    const read = Object.hasOwn(reads, path) ? reads[path] : undefined;
    if (read) return json(res, 200, await read(ctx, query));
    if (path.startsWith('/api/'))
      return json(res, 404, { error: { code: 'not-found', message: `no endpoint ${path}` } });
    return serveAsset(res, assets, path);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => failure(res, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, options.port ?? 0)));
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/${token}/`,
    port,
    token,
    close: async () => {
      for (const stop of streams) stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port that cannot be listened on, said as what to do (the CLI prints it without a stack). */
function listenError(error: NodeJS.ErrnoException, port: number): Error {
  const why =
    error.code === 'EADDRINUSE'
      ? `port ${port} on 127.0.0.1 is in use (another studio?); pass another --port, or none for a free one`
      : error.code === 'EACCES'
        ? `port ${port} needs privileges; pass a --port above 1023, or none for a free one`
        : undefined;
  return why === undefined ? error : new CheckpointError('invalid-option', { detail: why, cause: error });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BadRequest(`the request body is over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest('the request body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new BadRequest('the request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** The answer to a handler that threw: the error's code and the CLI's message for it. */
function failure(res: ServerResponse, error: unknown): void {
  if (error instanceof BadRequest || error instanceof UsageError || error instanceof URIError) {
    return json(res, 400, { error: { code: 'bad-request', message: error.message } });
  }
  if (isCheckpointError(error)) {
    const status = STATUS[error.code] ?? (UNAVAILABLE.has(error.code) ? 503 : 422);
    return json(res, status, {
      error: { code: error.code, key: error.key, seq: error.seq, message: failureText(error) },
    });
  }
  json(res, 500, { error: { code: 'internal', message: (error as Error)?.message ?? String(error) } });
}
