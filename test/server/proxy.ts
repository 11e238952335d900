import net from 'node:net';

/** A TCP relay in front of a server, to cut connections or refuse new ones on demand. */
export interface TcpProxy {
  readonly port: number;
  /** Destroys every relayed connection (both sides), as a network failure would. */
  cut(): void;
  /** Keeps relaying requests but swallows the server's replies (until `cut`): a reply lost on the way back. */
  dropReplies(): void;
  /** Stops accepting: new connections are refused until {@link TcpProxy.resume}. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a relay on a free local port to `host:port`. */
export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let listenPort = 0;
  let replies = true;
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    inbound.pipe(outbound);
    outbound.on('data', (chunk: Buffer) => {
      if (replies) inbound.write(chunk);
    });
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        listenPort = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await listen();
  const cut = () => {
    for (const s of sockets) s.destroy();
    replies = true;
  };
  return {
    get port() {
      return listenPort;
    },
    cut,
    dropReplies: () => {
      replies = false;
    },
    pause: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        cut();
      }),
    resume: listen,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        if (!server.listening) resolve();
        else server.close(() => resolve());
      }),
  };
}
