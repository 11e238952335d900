import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { runAdapterConformance } from '../conformance/suite.js';

let dir = '';
runAdapterConformance('fs', [fileAdapter], {
  create: async () => {
    dir = await mkdtemp(join(tmpdir(), 'xsc-fs-conformance-'));
    return fileAdapter({ dir });
  },
  createPeer: () => fileAdapter({ dir }),
  cleanup: () => rm(dir, { recursive: true, force: true }),
});
