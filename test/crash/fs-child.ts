// A child process for the crash, race and lock tests. It runs as plain `node`
// on a transpiled copy (see fs-build.ts), so it imports the adapter and the
// envelope by relative path, not by the package name.
//
// All modes but try-write print "ready" once loaded and start on "go <n>" from stdin.
//
//   saver <store>                   from seq n: save generations with fileAdapter; print "ack <seq>" after each write resolves
//   naive <store>                   the same through an in-place writer: truncate, write half, write half, no fsync
//   race <store> <writer> <count>   write newest+1 repeatedly; print "ack <seq> <crc>" or "refused <code>"
//   race-naive <store> <writer> <count>   the same with temp file + rename() (overwrites)
//   hold-lock <store> <key>         acquire the key's lock, print "locked <epoch>" and wait to be killed, or "refused <code>"
//   try-write <store> <key>         write one generation, print "ok" or "error <code>"
import { open, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileAdapter } from '../../adapters/fs.js';
import { crc32 } from '../../src/checksum.js';
import { encodeEnvelope } from '../../src/envelope.js';
import { isCheckpointError } from '../../src/errors.js';
import { payloadFor } from './fs-payload.js';

const [mode, store = '', third = '', fourth = '0'] = process.argv.slice(2);
const key = 'crash-key';
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
  const adapter = fileAdapter({ dir: store });
  for (let seq = await ready(); ; seq++) {
    const bytes = envelope(seq, payloadFor(seq));
    await adapter.write(key, { seq, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes });
    say(`ack ${seq}`);
    if (seq > 3) await adapter.remove(key, seq - 3);
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
    if (mode !== 'hold-lock') process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`child ${String(mode)} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
