import { parentPort, type MessagePort } from 'node:worker_threads';
import { portHandle, serveAdapter, type ServedAdapter } from '../../adapters/channel/index.js';
import { fileAdapter } from '../../adapters/fs/index.js';
import type { CheckpointAdapter } from '../../src/adapter.js';

// Serves a fileAdapter per received port: each port is one client (one "process").
const served = new Map<string, Array<{ server: ServedAdapter; adapter: CheckpointAdapter; port: MessagePort }>>();

parentPort!.on('message', (message: { type: 'serve' | 'drop'; dir: string; port?: MessagePort }) => {
  if (message.type === 'serve') {
    const adapter = fileAdapter({ dir: message.dir });
    const server = serveAdapter(adapter, portHandle(message.port!));
    const list = served.get(message.dir) ?? [];
    list.push({ server, adapter, port: message.port! });
    served.set(message.dir, list);
    return;
  }
  const list = served.get(message.dir) ?? [];
  served.delete(message.dir);
  void Promise.all(
    list.map(async ({ server, adapter, port }) => {
      await server.close();
      await adapter.dispose();
      port.close();
    }),
  ).then(() => parentPort!.postMessage({ type: 'dropped', dir: message.dir }));
});
parentPort!.postMessage({ type: 'ready' });
