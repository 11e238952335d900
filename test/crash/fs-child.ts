// A child process for the crash, race and lock tests. It runs as plain `node`
// on a transpiled copy (see fs-build.ts), so it imports the adapter and the
// envelope by relative path, not by the package name.
//
// All modes but try-write print "ready" once loaded and start on "go <n>" from stdin.
//
//   saver <store>                   restore through persistActor, then save states n+1, n+2... (scheduler, capture,
//                                   envelope, fileAdapter); print "saving" once restored, "ack <n>" after each flush()
//   lock-saver <store> <name> <ttl> the same holding the key's lock (lease ttl ms); prints "restored <n> <by>",
//                                   "ack <n>", and "error <code>" when a flush fails (fenced: it stops saving)
//   naive <store>                   the same through an in-place writer: truncate, write half, write half, no fsync
//   race <store> <writer> <count>   write newest+1 repeatedly; print "ack <seq> <crc>" or "refused <code>"
//   race-naive <store> <writer> <count>   the same with temp file + rename() (overwrites)
//   hold-lock <store> <key>         acquire the key's lock, print "locked <epoch>" and wait to be killed, or "refused <code>"
//   try-write <store> <key>         write one generation, print "ok" or "error <code>"
import { open, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileAdapter } from '../../adapters/fs/index.js';
import { crc32 } from '../../src/checksum.js';
import { encodeEnvelope } from '../../src/envelope.js';
import { isCheckpointError } from '../../src/errors.js';
import { persistActor } from '../../src/persist.js';
import { CRASH_KEY, crashMachine } from './fs-machine.js';
import { payloadFor } from './fs-payload.js';

const [mode, store = '', third = '', fourth = '0'] = process.argv.slice(2);
const key = CRASH_KEY;
const say = (line: string) => process.stdout.write(`${line}\n`);
const envelope = (seq: number, payload: Uint8Array) =>
  encodeEnvelope({ machine: 'crash-test', version: 1, seq, epoch: 0, createdAt: Date.now(), codec: 'raw' }, payload);
const codeOf = (error: unknown) => (isCheckpointError(error) ? error.code : String(error));
/** Prints "ready" and resolves with n once "go <n>" arrives on stdin. */
const ready = () =>
  new Promise<number>((resolve) => {
    let text = '';
    process.stdin.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /go (\d+)\n/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    say('ready');
  });

async function saver() {
  await ready();
  const persisted = await persistActor(crashMachine, {
    key: CRASH_KEY,
    adapter: fileAdapter({ dir: store }),
    flushOnExit: false,
  });
  // The harness times its kill from here, so kills land among saves, not all inside the restore.
  say('saving');
  for (let n = persisted.actor.getSnapshot().context.n + 1; ; n++) {
    persisted.actor.send({ type: 'SET', n, by: 'saver' });
    await persisted.flush();
    say(`ack ${n}`);
  }
}

async function lockSaver(name: string, ttlMs: number) {
  await ready();
  const persisted = await persistActor(crashMachine, {
    key: CRASH_KEY,
    adapter: fileAdapter({ dir: store }),
    lock: { ttlMs, waitMs: 30_000 },
    flushOnExit: false,
    onError: () => undefined,
  });
  const restored = persisted.actor.getSnapshot().context;
  say(`restored ${restored.n} ${restored.by || '-'}`);
  for (let n = restored.n + 1; ; n++) {
    persisted.actor.send({ type: 'SET', n, by: name });
    try {
      await persisted.flush();
      say(`ack ${n}`);
    } catch (error) {
      say(`error ${codeOf(error)}`);
      // A fenced writer is halted for good; a halted owner would end here too, and the harness counts it.
      if (isCheckpointError(error) && (error.code === 'fenced' || error.code === 'conflict')) return;
    }
  }
}

async function naive() {
  const path = join(store, 'naive.ckpt');
  for (let seq = await ready(); ; seq++) {
    const bytes = envelope(seq, payloadFor(seq));
    const handle = await open(path, 'w');
    const half = bytes.length >> 1;
    await handle.write(bytes.subarray(0, half));
    await handle.write(bytes.subarray(half));
    await handle.close();
    say(`ack ${seq}`);
  }
}

async function race(writer: string, count: number) {
  const adapter = fileAdapter({ dir: store });
  await ready();
  for (let i = 0; i < count; i++) {
    const seq = ((await adapter.list(key))[0]?.seq ?? 0) + 1;
    const bytes = envelope(seq, new TextEncoder().encode(`${writer}:${seq}:${i}`));
    try {
      await adapter.write(key, { seq, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes });
      say(`ack ${seq} ${crc32(bytes)}`);
    } catch (error) {
      say(`refused ${codeOf(error)}`);
    }
  }
}

async function raceNaive(writer: string, count: number) {
  const dir = join(store, 'naive-race');
  await ready();
  for (let i = 0; i < count; i++) {
    const names = await readdir(dir).catch(() => [] as string[]);
    const seq = Math.max(0, ...names.filter((n) => n.endsWith('.gen')).map((n) => Number.parseInt(n, 10))) + 1;
    const bytes = envelope(seq, new TextEncoder().encode(`${writer}:${seq}:${i}`));
    const tmp = join(dir, `.tmp-${writer}-${i}`);
    await writeFile(tmp, bytes);
    await rename(tmp, join(dir, `${String(seq).padStart(16, '0')}.gen`));
    say(`ack ${seq} ${crc32(bytes)}`);
  }
}

async function holdLock(lockKey: string) {
  const adapter = fileAdapter({ dir: store });
  await ready();
  try {
    const lease = await adapter.acquire!(lockKey);
    say(`locked ${lease.epoch}`);
    setInterval(() => undefined, 1000);
  } catch (error) {
    say(`refused ${codeOf(error)}`);
    process.exit(0);
  }
}

async function tryWrite(writeKey: string) {
  const adapter = fileAdapter({ dir: store });
  try {
    const seq = ((await adapter.list(writeKey))[0]?.seq ?? 0) + 1;
    const bytes = envelope(seq, payloadFor(seq));
    await adapter.write(writeKey, { seq, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes });
    say('ok');
  } catch (error) {
    say(`error ${codeOf(error)}`);
  }
}

const modes: Record<string, () => Promise<void>> = {
  saver,
  'lock-saver': () => lockSaver(third, Number(fourth)),
  naive,
  race: () => race(third, Number(fourth)),
  'race-naive': () => raceNaive(third, Number(fourth)),
  'hold-lock': () => holdLock(third),
  'try-write': () => tryWrite(third),
};
const run = modes[mode ?? ''];
if (!run) {
  process.stderr.write(`unknown mode ${String(mode)}\n`);
  process.exit(2);
}
run().then(
  () => {
    // A halted lock-saver stays until killed, as a stopped-but-alive process would.
    if (mode === 'lock-saver') setInterval(() => undefined, 1000);
    else if (mode !== 'hold-lock') process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`child ${String(mode)} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
