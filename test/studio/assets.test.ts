import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { assetCandidates, findAssets } from '../../studio/assets.js';
import { repoRoot } from '../cli/harness.js';

it('looks for the page beside the running bundle (the installed dist/studio/), then in the repository’s dist/studio/', () => {
  const installed = pathToFileURL('/app/node_modules/xstate-checkpoint/dist/server-abc123.js').href;
  expect(assetCandidates(installed)[0]).toBe('/app/node_modules/xstate-checkpoint/dist/studio/');
  const source = pathToFileURL(join(repoRoot, 'studio/assets.ts')).href;
  expect(assetCandidates(source)).toContain(join(repoRoot, 'dist/studio/'));
});

it('names the folders it tried and the build command when the page is not built', async () => {
  await expect(findAssets(join(repoRoot, 'test/.tmp/no-such-page/'))).rejects.toMatchObject({
    code: 'invalid-option',
    message: expect.stringContaining('npm run build'),
  });
});
