// `node --import ./oldest-xstate.mjs script.mjs`: every `xstate` import in the
// process (the script's and the installed package's) resolves to the
// `xstate-oldest` alias, the oldest release the peer range admits.
import { register } from 'node:module';

const hooks = `export async function resolve(specifier, context, next) {
  if (specifier === 'xstate' || specifier.startsWith('xstate/')) {
    return next(specifier.replace(/^xstate/, 'xstate-oldest'), context);
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
