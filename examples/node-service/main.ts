// Starts one instance of the order service.
//   PORT=3000 npx tsx examples/node-service/main.ts                 (filesystem, ./.checkpoints)
//   DATABASE_URL=postgresql://... npx tsx examples/node-service/main.ts   (PostgreSQL)
// Other settings: INSTANCE (name), CHECKPOINT_DIR, CHECKPOINT_SCHEMA, LEASE_TTL_MS.
// A DATABASE_URL without a user connects as PGUSER, else `postgres` (pg alone would use $USER,
// which containers and CI often do not set).
import type { CheckpointAdapter } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { serviceMetrics } from './metrics.js';
import { startOrderService } from './service.js';

const instance = process.env.INSTANCE ?? `instance-${process.pid}`;
const leaseTtlMs = Number(process.env.LEASE_TTL_MS ?? 5000);
const databaseUrl = process.env.DATABASE_URL && withUser(process.env.DATABASE_URL);
const adapter: CheckpointAdapter = databaseUrl
  ? postgresAdapter({
      connectionString: databaseUrl,
      ...(process.env.CHECKPOINT_SCHEMA ? { schema: process.env.CHECKPOINT_SCHEMA } : {}),
      leaseTtlMs,
    })
  : fileAdapter({ dir: process.env.CHECKPOINT_DIR ?? '.checkpoints' });

const metrics = serviceMetrics();
const service = await startOrderService({
  adapter,
  instance,
  port: Number(process.env.PORT ?? 0),
  leaseTtlMs,
  onEvent: metrics.onEvent,
  metrics: metrics.handler,
});
console.log(JSON.stringify({ type: 'listening', instance, url: service.url, adapter: adapter.name }));

let stopping = false;
const stop = async () => {
  if (stopping) process.exit(1);
  stopping = true;
  await service.close();
  await adapter.dispose();
  await metrics.shutdown();
  console.log(JSON.stringify({ type: 'stopped', instance }));
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

function withUser(url: string): string {
  const parsed = new URL(url);
  if (parsed.username === '') parsed.username = encodeURIComponent(process.env.PGUSER ?? 'postgres');
  return parsed.toString();
}
