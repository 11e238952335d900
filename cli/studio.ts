import { flagValue, intFlag } from './args.js';
import type { Command } from './command.js';
import { loadMachineModule } from './machine.js';

/**
 * The store as the page names it: `--dir` as given, or `--url` without its
 * password, in the user part or in a query parameter (`?password=`,
 * `?sslpassword=`, anything named like a secret or token).
 *
 * @example
 * ```ts
 * import { storeLabel } from './studio.js';
 * storeLabel(undefined, 'postgres://app:pw@db/test?sslpassword=x'); // 'postgres://app:***@db/test?sslpassword=***'
 * ```
 */
export function storeLabel(dir: string | undefined, url: string | undefined): string {
  if (dir !== undefined) return dir;
  try {
    const parsed = new URL(url ?? '');
    if (parsed.password !== '') parsed.password = '***';
    for (const name of [...parsed.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    return 'store';
  }
}

/** Resolves on the first Ctrl-C or SIGTERM: the studio runs until then. */
const interrupted = () =>
  new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });

/**
 * `studio [--machine module] [--write] [--port n]`: serves the checkpoint
 * studio for the store on 127.0.0.1 and prints its URL (with the token) until
 * Ctrl-C. Read only unless `--write`.
 */
export const studioCommand: Command = {
  name: 'studio',
  usage: 'studio [--machine module] [--write] [--port n]',
  summary: 'browse the store in a local web page: keys, history, diffs, the machine (Ctrl-C stops it)',
  description:
    "Serves a page on 127.0.0.1 (a free port unless --port) showing keys, each key's generations and\nquarantined ones, a generation's state, context, timers and children, diffs, and with --machine the\nmachine with the active states and the verify check. The printed URL carries a random token every\nrequest needs. Read only unless --write, which allows rollback and quarantine restore (the same\nchecks as those commands, after a confirmation). Runs until Ctrl-C.",
  options: ['machine', 'write', 'port'],
  // Opening the store never creates tables; the write actions run the rollback and quarantine commands.
  writes: false,
  async run({ adapter, args, out, io }) {
    const machinePath = flagValue(args, 'machine');
    const machine = machinePath === undefined ? undefined : await loadMachineModule(machinePath, io.cwd);
    const port = intFlag(args, 'port', 0);
    const { startStudio } = await import('../studio/server.js');
    const studio = await startStudio({
      adapter,
      machine,
      machinePath,
      write: args.flags.has('write'),
      cwd: io.cwd,
      store: storeLabel(flagValue(args, 'dir'), flagValue(args, 'url')),
      ...(port === undefined ? {} : { port }),
    });
    out.result({ url: studio.url, port: studio.port, write: args.flags.has('write') });
    out.line(`xstate-checkpoint studio: open ${studio.url}`);
    out.line(
      args.flags.has('write')
        ? '  --write: rollback and quarantine restore are enabled'
        : '  read only (restart with --write to roll back or restore)',
    );
    out.line('  Ctrl-C stops it.');
    await interrupted();
    await studio.close();
    return 0;
  },
};
