import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { serviceMetrics } from '../../examples/node-service/metrics.js';
import { startOrderService } from '../../examples/node-service/service.js';

it('examples/node-service serves checkpoint metrics in Prometheus format on GET /metrics', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'xsc-node-metrics-'));
  const adapter = fileAdapter({ dir });
  const metrics = serviceMetrics();
  const service = await startOrderService({
    adapter,
    instance: 'one',
    onEvent: metrics.onEvent,
    metrics: metrics.handler,
  });
  try {
    for (const [type, webhookId] of [
      ['PAY', 'wh-1'],
      ['SHIP', 'wh-2'],
    ]) {
      const res = await fetch(`${service.url}/orders/o-1/webhooks`, {
        method: 'POST',
        body: JSON.stringify({ type, webhookId }),
      });
      expect(res.status).toBe(200);
    }
    const res = await fetch(`${service.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1]);
    // At least one generation per acknowledged webhook.
    expect(value('xstate_checkpoint_saves_total')).toBeGreaterThanOrEqual(2);
    expect(value('xstate_checkpoint_checkpoint_size_count')).toBe(value('xstate_checkpoint_saves_total'));
    expect(value('xstate_checkpoint_save_duration_count')).toBe(value('xstate_checkpoint_saves_total'));
    expect(text).toMatch(
      /^xstate_checkpoint_restores_total\{[^}]*xstate_checkpoint_restore_outcome="empty"[^}]*\} 1$/m,
    );
    expect(text).toMatch(/^xstate_checkpoint_save_duration_bucket\{[^}]*le="0\.001"\}/m);
    expect(text).not.toContain('o-1');
  } finally {
    await service.close();
    await adapter.dispose();
    await metrics.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});
