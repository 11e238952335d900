import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { assign, createMachine } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import type { CheckpointAdapter } from 'xstate-checkpoint';

const writer = fileURLToPath(new URL('./fixtures/sigstop-writer.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where the loop runs: the store's environment for the child, and adapters for the new owner. */
export interface SigstopTarget {
  /** `postgres` or `redis` (what the child opens). */
  readonly store: 'postgres' | 'redis';
  /** XSC_URL and XSC_SCHEMA or XSC_PREFIX for the child. */
  readonly env: Record<string, string>;
  /** A new adapter on the same store, for the owner that takes over. */
  readonly adapter: () => CheckpointAdapter;
}

/** What a {@link runSigstopLoop} found. Every count but `runs` must be 0. */
export interface SigstopResult {
  readonly runs: number;
  /** Writes the paused writer reported durable after it resumed that the new owner never saw. */
  readonly staleAcknowledged: number;
  /** Saves of the new owner that failed (a stale writer's leftovers halting the rightful owner). */
  readonly ownersHalted: number;
  /** Acknowledged counts missing from what the new owner restored or from the final state. */
  readonly acknowledgedLosses: number;
  /** Paused writers that neither were fenced nor stopped after resuming. */
  readonly notFenced: number;
  readonly failures: string[];
}

/**
 * Issue 12's SIGSTOP loop for a server store: a writer process saves through
 * persistActor under a lease and is SIGSTOPped at a random moment (often with a
 * save in flight); once its lease expired a new owner takes the key, restores,
 * and the paused writer resumes, either before the new owner wrote anything (its
 * next sequence is still free: only the epoch can refuse it) or after.
 *
 * @example
 * ```ts
 * const result = await runSigstopLoop(target, { runs: 3, ttlMs: 600 });
 * ```
 */
export async function runSigstopLoop(
  target: SigstopTarget,
  o: { runs: number; ttlMs: number; onRun?: (run: number, result: SigstopResult) => void },
): Promise<SigstopResult> {
  const result = { runs: 0, staleAcknowledged: 0, ownersHalted: 0, acknowledgedLosses: 0, notFenced: 0 };
  const failures: string[] = [];
  const tag = `${Date.now().toString(36)}-${process.pid}`;
  for (let run = 0; run < o.runs; run++) {
    const key = `sigstop-${tag}-${run}`;
    const found = await oneRun(target, key, o.ttlMs, run % 2 === 0);
    result.runs++;
    result.staleAcknowledged += found.stale;
    result.ownersHalted += found.halted;
    result.acknowledgedLosses += found.lost;
    result.notFenced += found.notFenced;
    failures.push(...found.failures.map((f) => `run ${run} (${key}): ${f}`));
    o.onRun?.(run + 1, { ...result, failures });
  }
  return { ...result, failures };
}

async function oneRun(target: SigstopTarget, key: string, ttlMs: number, resumeBeforeWrites: boolean) {
  const failures: string[] = [];
  const lines: string[] = [];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', writer], {
    cwd: root,
    env: { ...process.env, ...target.env, XSC_STORE: target.store, XSC_KEY: key, XSC_TTL: String(ttlMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const acks = (from = 0) =>
    lines.slice(from).flatMap((l) => {
      const [kind, count, seq] = l.split(' ');
      return kind === 'ack' ? [{ count: Number(count), seq: Number(seq) }] : [];
    });
  const adapter = target.adapter();
  let owner: Awaited<ReturnType<typeof persistActor<typeof counter>>> | undefined;
  let stale = 0;
  let halted = 0;
  let lost = 0;
  let notFenced = 0;
  try {
    for (let i = 0; acks().length < 3; i++) {
      if (i > 3000) throw new Error(`the writer never acknowledged 3 saves: ${lines.join(' | ')}`);
      await sleep(5);
    }
    await sleep(Math.random() * 30);
    child.kill('SIGSTOP');
    await sleep(50); // lines written before the stop are still in the pipe
    const beforeResume = lines.length;
    const legit = Math.max(...acks().map((a) => a.count));
    await sleep(ttlMs + 300);

    owner = await persistActor(counter, {
      key,
      adapter,
      lock: { ttlMs: ttlMs * 4, waitMs: ttlMs * 10 },
      debounce: { wait: 0, maxWait: 0 },
      flushOnExit: false,
      onError: () => undefined,
    });
    const restoredSeq = owner.restored.seq ?? 0;
    const restoredCount = owner.actor.getSnapshot().context.count;
    if (restoredCount < legit) {
      lost += legit - restoredCount;
      failures.push(`the new owner restored count ${restoredCount}, the writer had acknowledged ${legit}`);
    }
    let ownerCount = restoredCount;
    const ownerSaves = async (n: number) => {
      for (let i = 0; i < n; i++) {
        owner!.actor.send({ type: 'INC' });
        try {
          await owner!.flush();
          ownerCount = owner!.actor.getSnapshot().context.count;
        } catch (error) {
          halted++;
          failures.push(`the new owner's save failed: ${(error as Error).message}`);
          return;
        }
      }
    };
    if (!resumeBeforeWrites) await ownerSaves(2);
    child.kill('SIGCONT');
    const stopped = await Promise.race([exited.then(() => true), sleep(8000).then(() => false)]);
    if (!stopped || !lines.slice(beforeResume).includes('fenced')) {
      notFenced++;
      const said = lines.slice(beforeResume);
      failures.push(
        `after SIGCONT the writer said: ${said.slice(0, 5).join(' | ') || 'nothing'} (${said.length} lines)`,
      );
    }
    const late = acks(beforeResume).filter((a) => a.seq > restoredSeq);
    stale += late.length;
    if (late.length > 0) {
      failures.push(`the paused writer acknowledged ${late.length} generations after resuming, from ${late[0]!.seq}`);
    }
    await ownerSaves(3);
    await owner.close();
    owner = undefined;
    const reader = await persistActor(counter, { key, adapter, flushOnExit: false });
    const finalCount = reader.actor.getSnapshot().context.count;
    await reader.close();
    if (finalCount < ownerCount) {
      lost += ownerCount - finalCount;
      failures.push(`restore after the run gave count ${finalCount}, the new owner had acknowledged ${ownerCount}`);
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    await exited;
    await owner?.close().catch(() => undefined);
    await adapter.dispose();
  }
  return { stale, halted, lost, notFenced, failures };
}
