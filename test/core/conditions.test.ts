import { describe, expect, it, vi } from 'vitest';
import { createActor, createMachine } from 'xstate';

// The core suite runs twice: against XState's production build (project
// "node") and its development build (project "node-dev"), which behave
// differently, e.g. for inline spawned actors.
describe('XState build under test', () => {
  it('matches the project it runs in', () => {
    const dev = process.execArgv.includes('--conditions=development');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const actor = createActor(createMachine({ initial: 'end', states: { end: { type: 'final' } } })).start();
    // Only the development build warns about events sent to a finished actor.
    actor.send({ type: 'PING' });
    expect(warn.mock.calls.length > 0).toBe(dev);
    warn.mockRestore();
  });
});
