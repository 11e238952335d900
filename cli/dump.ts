import { createReadStream, createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { GenerationInfo, QuarantineInfo } from '../src/adapter.js';
import { crc32 } from '../src/checksum.js';
import { CheckpointError, isCheckpointError } from '../src/errors.js';
import { flagValue, UsageError } from './args.js';
import type { Command } from './command.js';
import { allKeys } from './ls.js';

/** The dump format this build writes and reads (`docs/format.md`). */
export const DUMP_FORMAT = 1;
const DUMP_TYPE = 'xstate-checkpoint-dump';

/** One stored generation in a dump: its metadata and its exact bytes. */
export interface DumpRecord {
  readonly type: 'generation' | 'quarantined';
  readonly key: string;
  readonly seq: number;
  readonly epoch: number;
  readonly createdAt: number;
  readonly byteLength: number;
  /** CRC-32 of the bytes, so a damaged dump file is caught before anything is written. */
  readonly crc32: number;
  /** The bytes, base64. */
  readonly bytes: string;
  /** Quarantined records: why, as the source adapter recorded it. */
  readonly reason?: string;
}

/** A line sink that waits when the stream is full. */
function lineWriter(stream: NodeJS.WritableStream) {
  return async (value: unknown) => {
    if (!stream.write(`${JSON.stringify(value)}\n`)) await new Promise((r) => stream.once('drain', r));
  };
}

/**
 * `export [key...] [--out file]`: every generation and quarantined generation
 * of the store (or of the keys named) as JSON lines: a header line, one line
 * per record with its bytes in base64 and their CRC-32, and an end line with
 * the counts. Bytes are read and written as stored, never decoded.
 */
export const exportCommand: Command = {
  name: 'export',
  usage: 'export [key...] [--out file]',
  summary: 'write generations (and quarantined ones) byte for byte to a JSON-lines dump (stdout without --out)',
  description:
    'Writes every generation and quarantined generation of the store (or of the keys named) as JSON\nlines: a header, one line per record with its exact bytes (base64) and their CRC-32, and an end\nline with the counts. Bytes are copied as stored, never decoded. Read only.',
  options: ['out'],
  writes: false,
  async run({ adapter, words, args, out, io }) {
    const outPath = flagValue(args, 'out');
    const toStdout = outPath === undefined || outPath === '-';
    if (toStdout && out.json)
      throw new UsageError('--json needs --out <file>: the dump itself goes to stdout otherwise');
    const progress = out.progress('export');
    const keys = words.length > 0 ? [...words] : await allKeys(adapter);
    const plan: Array<{ key: string; info: GenerationInfo; quarantine?: QuarantineInfo }> = [];
    progress.count(keys.length, 'keys listed');
    for (const key of keys) {
      for (const info of await adapter.list(key)) plan.push({ key, info });
      for (const q of await adapter.listQuarantine(key)) plan.push({ key, info: q, quarantine: q });
      progress.tick();
    }
    // Oldest first per key, quarantined ones in sequence order too: import writes in this order.
    plan.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.info.seq - b.info.seq));

    const stream = toStdout ? io.stdout : createWriteStream(resolve(io.cwd, outPath));
    const write = lineWriter(stream);
    progress.count(plan.length, 'records');
    let generations = 0;
    let quarantined = 0;
    const skipped: string[] = [];
    await write({ type: DUMP_TYPE, format: DUMP_FORMAT, source: adapter.name, exportedAt: io.now() });
    for (const item of plan) {
      progress.tick();
      const { key, info, quarantine } = item;
      const bytes = quarantine ? await adapter.readQuarantined(key, quarantine.id) : await adapter.read(key, info.seq);
      // Pruned (or deleted) since the listing: nothing to carry.
      if (bytes === undefined) {
        skipped.push(`${key} #${info.seq}`);
        continue;
      }
      const record: DumpRecord = {
        type: quarantine ? 'quarantined' : 'generation',
        key,
        seq: info.seq,
        epoch: info.epoch,
        createdAt: info.createdAt,
        byteLength: bytes.length,
        crc32: crc32(bytes),
        bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
        ...(quarantine ? { reason: quarantine.reason } : {}),
      };
      await write(record);
      if (quarantine) quarantined++;
      else generations++;
    }
    await write({ type: 'end', keys: keys.length, generations, quarantined });
    progress.finish();
    if (!toStdout)
      await new Promise<void>((done, fail) => stream.end((error?: Error | null) => (error ? fail(error) : done())));
    const summary = `exported ${generations} generation${generations === 1 ? '' : 's'} and ${quarantined} quarantined of ${keys.length} key${keys.length === 1 ? '' : 's'}${toStdout ? '' : ` to ${outPath}`}`;
    out.result({ keys: keys.length, generations, quarantined, skipped, file: outPath });
    if (toStdout) out.warn(summary);
    else out.line(summary);
    for (const s of skipped) out.warn(`skipped ${s}: it was removed while exporting`);
    return 0;
  },
};

function damaged(line: number, detail: string): CheckpointError {
  return new CheckpointError('corrupt', {
    detail: `the dump is damaged at line ${line}: ${detail}; nothing was imported`,
  });
}

/** Reads and checks a whole dump before anything is written. */
async function readDump(input: AsyncIterable<string>): Promise<Array<DumpRecord & { data: Uint8Array }>> {
  const records: Array<DumpRecord & { data: Uint8Array }> = [];
  let n = 0;
  let end: { generations?: unknown; quarantined?: unknown } | undefined;
  for await (const raw of input) {
    n++;
    if (raw.trim() === '') continue;
    if (end) throw damaged(n, 'lines after the end line');
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw damaged(n, 'not JSON');
    }
    if (n === 1) {
      if (parsed['type'] !== DUMP_TYPE) throw damaged(n, 'not an xstate-checkpoint dump (no header line)');
      if (parsed['format'] !== DUMP_FORMAT)
        throw damaged(n, `dump format ${String(parsed['format'])} is not ${DUMP_FORMAT}`);
      continue;
    }
    if (parsed['type'] === 'end') {
      end = parsed;
      continue;
    }
    const r = parsed as unknown as DumpRecord;
    const intOk = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (
      (r.type !== 'generation' && r.type !== 'quarantined') ||
      typeof r.key !== 'string' ||
      !intOk(r.seq) ||
      r.seq < 1 ||
      !intOk(r.epoch) ||
      typeof r.createdAt !== 'number' ||
      !intOk(r.byteLength) ||
      !intOk(r.crc32) ||
      typeof r.bytes !== 'string'
    ) {
      throw damaged(n, 'a record lacks a field');
    }
    const data = new Uint8Array(Buffer.from(r.bytes, 'base64'));
    if (data.length !== r.byteLength)
      throw damaged(n, `${r.key} #${r.seq} has ${data.length} bytes, the record says ${r.byteLength}`);
    if (crc32(data) !== r.crc32) throw damaged(n, `${r.key} #${r.seq} fails its CRC-32`);
    records.push({ ...r, data });
  }
  if (n === 0) throw damaged(1, 'the dump is empty');
  if (!end) throw damaged(n, 'no end line (the dump is truncated)');
  const gens = records.filter((r) => r.type === 'generation').length;
  if (end.generations !== gens || end.quarantined !== records.length - gens) {
    throw damaged(
      n,
      `the end line counts ${String(end.generations)} + ${String(end.quarantined)} records, the dump holds ${gens} + ${records.length - gens}`,
    );
  }
  return records;
}

async function* lines(iterable: AsyncIterable<Uint8Array | string>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of iterable) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf('\n')) !== -1) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
    }
  }
  rest += decoder.decode();
  if (rest !== '') yield rest;
}

/**
 * `import [--file dump] [--dry-run]`: reads a dump written by `export` (stdin
 * without `--file`), checks all of it (header, every record's length and
 * CRC-32, the end line's counts), then writes each key's records in sequence
 * order with their own sequence, epoch and creation time, byte for byte;
 * quarantined records are written and quarantined again with their reason.
 * A key whose generations collide with the target's (`conflict`) is skipped
 * and reported (exit 1); the other keys are imported.
 */
export const importCommand: Command = {
  name: 'import',
  usage: 'import [--file dump] [--dry-run]',
  summary: 'write the records of a dump into the store (stdin without --file), byte for byte',
  description:
    "Reads a dump written by export (stdin without --file), checks all of it first (header, every\nrecord's length and CRC-32, the end line), then writes each key's records with their own sequence,\nepoch and time, byte for byte. A key that collides with existing generations is skipped and\nreported (exit 1).",
  options: ['file', 'dry-run'],
  writes: true,
  async run({ adapter, args, out, io }) {
    const file = flagValue(args, 'file');
    const input =
      file === undefined || file === '-'
        ? lines(io.stdin)
        : createInterface({ input: createReadStream(resolve(io.cwd, file)), crlfDelay: Infinity });
    const progress = out.progress('import');
    progress.step('reading and checking the dump');
    const records = await readDump(input);
    const byKey = new Map<string, typeof records>();
    for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    const dryRun = args.flags.has('dry-run');
    progress.count(records.length, 'records');
    const report: Array<{ key: string; imported: number; quarantined: number; problem?: string }> = [];
    for (const [key, list] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      list.sort((a, b) => a.seq - b.seq);
      const entry: { key: string; imported: number; quarantined: number; problem?: string } = {
        key,
        imported: 0,
        quarantined: 0,
      };
      report.push(entry);
      if (dryRun) {
        entry.imported = list.filter((r) => r.type === 'generation').length;
        entry.quarantined = list.length - entry.imported;
        progress.tick(list.length);
        continue;
      }
      for (const r of list) {
        try {
          await adapter.write(key, {
            seq: r.seq,
            epoch: r.epoch,
            createdAt: r.createdAt,
            byteLength: r.data.length,
            bytes: r.data,
          });
          if (r.type === 'quarantined') {
            await adapter.quarantine(key, r.seq, r.reason ?? 'imported from a dump');
            entry.quarantined++;
          } else entry.imported++;
          progress.tick();
        } catch (error) {
          if (!isCheckpointError(error) || !['conflict', 'fenced', 'invalid-key'].includes(error.code)) throw error;
          entry.problem = `${error.code} at #${r.seq}: ${error.detail ?? error.message}; the rest of this key was not imported`;
          break;
        }
      }
    }
    progress.finish();
    const problems = report.filter((r) => r.problem !== undefined);
    const imported = report.reduce((n, r) => n + r.imported, 0);
    const quarantined = report.reduce((n, r) => n + r.quarantined, 0);
    out.result({ dryRun, ok: problems.length === 0, keys: report, imported, quarantined });
    for (const r of problems) out.line(`${r.key}: ${r.problem!}`);
    out.line(
      `${dryRun ? 'would import' : 'imported'} ${imported} generation${imported === 1 ? '' : 's'} and ${quarantined} quarantined into ${report.length - problems.length} of ${report.length} key${report.length === 1 ? '' : 's'}`,
    );
    return problems.length === 0 ? 0 : 1;
  },
};
