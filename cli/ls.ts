import type { CheckpointAdapter, GenerationInfo, QuarantineInfo } from '../src/adapter.js';
import { CheckpointError } from '../src/errors.js';
import type { Command } from './command.js';
import { formatBytes, formatTime } from './output.js';

/** Every key of the store (with generations or only quarantined ones), sorted. */
export async function allKeys(adapter: CheckpointAdapter): Promise<string[]> {
  const keys = new Set(await adapter.keys());
  for (const q of await adapter.listQuarantine()) keys.add(q.key);
  return [...keys].sort();
}

/** `ls [key...]`: keys, their generations (newest first) and quarantined counts. */
export const lsCommand: Command = {
  name: 'ls',
  usage: 'ls [key...]',
  summary: 'list keys and their generations',
  description:
    'Lists every key of the store (or the keys named) with its generations, newest first: sequence,\nwrite time, size and fencing epoch, and how many generations are quarantined. A key named that\ndoes not exist is reported (exit 1).',
  options: [],
  writes: false,
  async run({ adapter, words, out }) {
    const progress = out.progress('ls');
    const keys = words.length > 0 ? [...words] : await allKeys(adapter);
    const listed: Array<{ key: string; generations: GenerationInfo[]; quarantined: QuarantineInfo[] }> = [];
    progress.count(keys.length, 'keys');
    for (const key of keys) {
      listed.push({ key, generations: await adapter.list(key), quarantined: await adapter.listQuarantine(key) });
      progress.tick();
    }
    progress.finish();
    const missing = listed.filter((k) => k.generations.length === 0 && k.quarantined.length === 0).map((k) => k.key);
    out.result({
      keys: listed.map((k) => ({ key: k.key, generations: k.generations, quarantined: k.quarantined.length })),
      ...(missing.length > 0 ? { missing } : {}),
    });
    if (listed.length === 0) out.line('(no keys)');
    for (const { key, generations, quarantined } of listed) {
      const q = quarantined.length > 0 ? `, ${quarantined.length} quarantined` : '';
      out.line(`${key}  (${generations.length} generation${generations.length === 1 ? '' : 's'}${q})`);
      for (const g of generations) {
        out.line(`  #${g.seq}  ${formatTime(g.createdAt)}  ${formatBytes(g.byteLength)}  epoch ${g.epoch}`);
      }
    }
    if (missing.length > 0) {
      out.warn(
        new CheckpointError('not-found', { adapter: adapter.name, detail: `no such key: ${missing.join(', ')}` })
          .message,
      );
      return 1;
    }
    return 0;
  },
};
