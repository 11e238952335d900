// Two instances of the order service on one PostgreSQL database; one is killed
// with SIGKILL and the order moves to the other with every acknowledged webhook.
//   DATABASE_URL=postgresql://127.0.0.1:5432/test npx tsx examples/node-service/two-instances.ts
// Optional: CHECKPOINT_SCHEMA (isolates the tables), LEASE_TTL_MS (default 2000); a URL without a
// user connects as PGUSER, else `postgres`. The instances log the cause of every 5xx on stderr.
// Exits non-zero when a check fails.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

if (!process.env.DATABASE_URL) {
  console.error('Set DATABASE_URL to a PostgreSQL database, e.g. postgresql://127.0.0.1:5432/test');
  process.exit(2);
}
const leaseTtlMs = process.env.LEASE_TTL_MS ?? '2000';
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const orderId = process.argv[2] ?? `order-${Date.now().toString(36)}`;
const t0 = Date.now();
const say = (text: string) => console.log(`${String(Date.now() - t0).padStart(6)} ms  ${text}`);
let failed = false;
const check = (ok: boolean, text: string, reply?: unknown) => {
  say(`${ok ? 'ok  ' : 'FAIL'} ${text}`);
  // What the service answered: with the cause the instance logged above, enough to see why.
  if (!ok && reply !== undefined) say(`     answered ${JSON.stringify(reply)}`);
  if (!ok) failed = true;
};

interface Instance {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
}

function start(name: string): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, INSTANCE: name, LEASE_TTL_MS: leaseTtlMs, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { type: string; url?: string };
      if (message.type === 'listening') resolve({ name, child, url: message.url! });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited early with ${String(code)}`)));
  });
}

interface Reply {
  status: number;
  body: { state?: string; applied?: Array<{ webhookId: string; instance: string }>; seq?: number; error?: string };
}
async function webhook(to: Instance, type: string, webhookId: string): Promise<Reply> {
  const res = await fetch(`${to.url}/orders/${orderId}/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type, webhookId }),
  });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}

const a = await start('A');
const b = await start('B');
say(`instances A (${a.url}) and B (${b.url}) share ${process.env.CHECKPOINT_SCHEMA ?? 'the default schema'}`);
const acknowledged: string[] = [];

const pay = await webhook(a, 'PAY', 'wh-pay');
check(
  pay.status === 200 && pay.body.state === 'paid',
  `A acknowledged PAY after its checkpoint (seq ${pay.body.seq}) was durable`,
  pay,
);
if (pay.status === 200) acknowledged.push('wh-pay');

const early = await fetch(`${b.url}/orders/${orderId}`);
check(early.status === 409, `B refuses the order while A holds its lease (HTTP ${early.status})`, early.status);

a.child.kill('SIGKILL');
await new Promise((resolve) => a.child.once('exit', resolve));
say('A killed with SIGKILL (no shutdown, lease not released)');

const ship = await webhook(b, 'SHIP', 'wh-ship');
check(
  ship.status === 200 && ship.body.state === 'shipped',
  `B took the order over after the lease expired, restored "paid" and acknowledged SHIP (seq ${ship.body.seq})`,
  ship,
);
if (ship.status === 200) acknowledged.push('wh-ship');

const again = await webhook(b, 'PAY', 'wh-pay');
check(
  again.status === 200 && again.body.state === 'shipped',
  'a redelivered PAY webhook is acknowledged and ignored',
  again,
);

const final = (await (await fetch(`${b.url}/orders/${orderId}`)).json()) as Reply['body'];
const trail = (final.applied ?? []).map((x) => `${x.webhookId}@${x.instance}`).join(', ');
check(
  acknowledged.length > 0 && acknowledged.every((id) => final.applied?.some((x) => x.webhookId === id)),
  `every acknowledged webhook is in the order: ${trail}`,
);
check(final.applied?.[0]?.instance === 'A' && final.applied?.[1]?.instance === 'B', 'the order moved from A to B');

b.child.kill('SIGTERM');
const code = await new Promise<number | null>((resolve) => b.child.once('exit', resolve));
check(code === 0, 'B shut down cleanly (flushed, released its lease)');
say(failed ? 'FAILED' : 'done');
process.exit(failed ? 1 : 0);
