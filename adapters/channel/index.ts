/**
 * The channel adapter: a `CheckpointAdapter` served in one context (Electron's main process,
 * a worker) and used from another. `client.ts` is the side that calls, `server.ts` the side that
 * serves (`methods.ts` answers each method, `subscription.ts` holds a client's notices), `transport.ts`
 * carries requests over a `postMessage` endpoint, `wire.ts` is what crosses.
 *
 * @module
 */
export {
  channelAdapter,
  connectChannelAdapter,
  type ChannelAdapterOptions,
  type ConnectChannelOptions,
} from './client.js';
export { serveAdapter, type ServeAdapterOptions, type ServedAdapter } from './server.js';
export { portHandle, portInvoke, type MessageEndpoint, type PortInvoke } from './transport.js';
export type {
  ChannelDescription,
  ChannelError,
  ChannelHandler,
  ChannelInvoke,
  ChannelMethod,
  ChannelRequest,
  ChannelResponse,
} from './wire.js';
