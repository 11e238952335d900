import { CheckpointError } from './errors.js';
import type { RestoreReport } from './restore.js';

/** Where a restore's notice goes: the app's `logger`, else its `onError`, else `console.warn`. */
export interface NoticeChannels {
  readonly logger?: ((...args: unknown[]) => void) | undefined;
  readonly onError?: ((error: CheckpointError) => void) | undefined;
}

// A rejection's message without its "[adapter] key ... generation n: " prefix and
// without the code's advice, which the notice itself ends with.
function reasonOf(code: string, message: string): string {
  const at = message.indexOf(`: ${code}`);
  let reason = at >= 0 ? message.slice(at + 2) : message;
  const advice = new CheckpointError(code as CheckpointError['code']).message.slice(code.length + 2);
  if (advice.length > 0 && reason.endsWith(` ${advice}`)) reason = reason.slice(0, -advice.length - 1);
  return reason.endsWith('.') ? reason.slice(0, -1) : reason;
}

// The key as a POSIX shell word, so the printed command can be pasted as it is ("order 1" would be two arguments).
const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/**
 * The one notice of a restore that passed over generations (quarantined or
 * not) and so did not restore the newest state: the key, each generation and
 * its code, where the quarantined bytes are and the command that brings one
 * back. `undefined` when nothing was rejected.
 */
export function restoreNotice(key: string, adapter: string, report: RestoreReport): CheckpointError | undefined {
  const rejected = report.rejected;
  const first = rejected[0];
  if (!first) return undefined;
  const outcome =
    report.source === 'fresh' ? 'started fresh' : `restored the older generation ${String(report.seq)} instead`;
  const each = rejected.map((r) => `#${r.seq} ${r.code}`).join(', ');
  const moved = rejected.filter((r) => r.quarantined);
  const kept = rejected.filter((r) => !r.quarantined);
  const parts = [`restore passed over ${rejected.length === 1 ? 'generation' : 'generations'} ${each} and ${outcome}`];
  if (moved.length > 0) {
    const ids = moved.map((r) => (r.quarantineId === undefined ? `#${r.seq}` : `#${r.seq} id ${r.quarantineId}`));
    parts.push(
      `quarantined in the "${adapter}" store (${ids.join(', ')}), nothing deleted; after fixing the cause, ` +
        `\`npx xstate-checkpoint quarantine restore ${shellWord(key)} <id> --machine <module>\` with the store's --dir or --url ` +
        `brings one back as the newest generation (\`quarantine ls ${shellWord(key)}\` lists them)`,
    );
  }
  if (kept.length > 0) {
    parts.push(
      `${kept.map((r) => `#${r.seq}`).join(', ')} could not be quarantined (the store refused) and stay${kept.length === 1 ? 's' : ''} listed; the next restore tries again`,
    );
  }
  parts.push(`the newest failed with ${reasonOf(first.code, first.message)}`);
  return new CheckpointError(first.code as CheckpointError['code'], {
    key,
    adapter,
    seq: first.seq,
    detail: parts.join('; '),
    data: { rejected, source: report.source, seq: report.seq },
  });
}

/**
 * Says the notice of {@link restoreNotice} on the first channel there is: the
 * app's `logger` (the actor's log sink) gets the message; without one its
 * `onError` gets the {@link CheckpointError}; without either, `console.warn`.
 *
 * @example
 * ```ts
 * import { sayRestoreNotice } from './restore-notice.js';
 * import { freshReport } from './restore.js';
 * sayRestoreNotice('cart-1', 'memory', freshReport(0), {}); // nothing rejected: says nothing
 * ```
 */
export function sayRestoreNotice(key: string, adapter: string, report: RestoreReport, channels: NoticeChannels): void {
  const notice = restoreNotice(key, adapter, report);
  if (!notice) return;
  if (channels.logger) channels.logger(`xstate-checkpoint: ${notice.message}`);
  else if (channels.onError) channels.onError(notice);
  else console.warn(`xstate-checkpoint: ${notice.message}`);
}
