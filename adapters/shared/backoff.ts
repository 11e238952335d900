// The one backoff lives in the core (the journal writer uses it too); adapters take it from here.
export { backoffDelay, type BackoffOptions } from '../../src/backoff.js';
