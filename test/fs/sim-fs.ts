import type { FileHandleLike, FileSystemLike } from 'xstate-checkpoint/adapters/fs';

// An in-memory file system that models what survives a crash: file contents
// become durable on fsync of the file, directory entries on fsync of the
// directory. Every state-changing call is recorded as an operation, so a
// recorded save can be replayed up to any prefix and then "crashed".

interface FileNode {
  kind: 'file';
  data: Uint8Array;
  /** Content as of the last fsync; `undefined` when never synced (empty after a crash). */
  durable: Uint8Array | undefined;
  mtimeMs: number;
}
interface DirNode {
  kind: 'dir';
  entries: Map<string, SimNode>;
  /** Entries as of the last fsync of this directory. */
  durable: Map<string, SimNode>;
}
type SimNode = FileNode | DirNode;

/** One recorded state-changing call. Handles are numbered in the order they were opened. */
export type SimOp =
  | { op: 'mkdir'; path: string; recursive: boolean }
  | { op: 'open'; path: string; flags: string; fd: number }
  | { op: 'writeFile'; fd: number; data: Uint8Array }
  | { op: 'sync'; fd: number }
  | { op: 'close'; fd: number }
  | { op: 'link'; from: string; to: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'unlink'; path: string };

/** Which state a crash keeps: the durable one, or the volatile one (as if the cache had been flushed). */
export interface CrashVariant {
  readonly entries: 'durable' | 'volatile';
  readonly data: 'durable' | 'volatile';
}

/** The four ways a crash can treat unsynced directory entries and unsynced file data. */
export const crashVariants: readonly CrashVariant[] = [
  { entries: 'durable', data: 'durable' },
  { entries: 'durable', data: 'volatile' },
  { entries: 'volatile', data: 'durable' },
  { entries: 'volatile', data: 'volatile' },
];

const errno = (code: string, call: string, path: string) =>
  Object.assign(new Error(`${code}: ${call} '${path}'`), { code, syscall: call, path });
const split = (path: string) => path.split('/').filter((part) => part.length > 0);
const newDir = (): DirNode => ({ kind: 'dir', entries: new Map(), durable: new Map() });

/**
 * A simulated POSIX-like file system implementing the adapter's
 * {@link FileSystemLike}, with an operation log, replay and crash.
 *
 * @example
 * ```ts
 * import { SimFs } from './sim-fs.js';
 * const sim = new SimFs();
 * await sim.mkdir('/store', { recursive: true });
 * const crashed = sim.crash({ entries: 'durable', data: 'durable' }); // '/store' is gone: its parent was never synced
 * ```
 */
export class SimFs implements FileSystemLike {
  root: DirNode = newDir();
  /** Every state-changing call since the last {@link SimFs.startRecording}. */
  log: SimOp[] = [];
  /** Turn off to build large trees fast: no log, and fsync does nothing (durability is then not modelled). */
  modelDurability = true;
  private handles = new Map<number, SimNode>();
  private nextFd = 1;
  private clock = 1_700_000_000_000;

  /** Clears the log and numbers handles from 1 again, so a recorded save can be replayed on a clone. */
  startRecording(): void {
    this.log = [];
    this.handles.clear();
    this.nextFd = 1;
  }

  /** Makes everything durable, as after a clean shutdown. */
  syncAll(): void {
    const walk = (node: SimNode) => {
      if (node.kind === 'file') node.durable = node.data.slice();
      else {
        node.durable = new Map(node.entries);
        for (const child of node.entries.values()) walk(child);
      }
    };
    walk(this.root);
  }

  /** Drops `path` from its parent folder's durable entries, as if the parent was not fsynced since it was created. */
  forgetEntry(path: string): void {
    const [dir, name] = this.parent(path, 'forget');
    dir.durable.delete(name);
  }

  /** A deep copy (hard links stay shared) with no open handles. */
  clone(): SimFs {
    return this.rebuild((file) => ({ data: file.data, durable: file.durable }), 'both');
  }

  /** The file system a crash leaves behind; whatever it keeps becomes durable. */
  crash(variant: CrashVariant): SimFs {
    return this.rebuild((file) => {
      const data = variant.data === 'durable' ? (file.durable ?? new Uint8Array(0)) : file.data;
      return { data, durable: data };
    }, variant.entries);
  }

  /** Applies one recorded operation (for replaying a prefix of another instance's log). */
  async apply(op: SimOp): Promise<void> {
    switch (op.op) {
      case 'mkdir':
        await this.mkdir(op.path, { recursive: op.recursive }).catch(() => undefined);
        return;
      case 'open':
        this.handles.set(op.fd, this.openNode(op.path, op.flags));
        this.nextFd = Math.max(this.nextFd, op.fd + 1);
        return;
      case 'writeFile':
        this.writeNode(op.fd, op.data);
        return;
      case 'sync':
        this.syncNode(op.fd);
        return;
      case 'close':
        this.handles.delete(op.fd);
        return;
      case 'link':
        await this.link(op.from, op.to);
        return;
      case 'rename':
        await this.rename(op.from, op.to);
        return;
      case 'unlink':
        await this.unlink(op.path);
        return;
    }
  }

  async open(path: string, flags: string): Promise<FileHandleLike> {
    const node = this.openNode(path, flags);
    const fd = this.nextFd++;
    this.handles.set(fd, node);
    this.record({ op: 'open', path, flags, fd });
    return {
      writeFile: async (data) => {
        this.writeNode(fd, data);
        this.record({ op: 'writeFile', fd, data: data.slice() });
      },
      read: async (buffer, offset, length, position) => {
        const file = this.handleNode(fd);
        if (file.kind !== 'file') throw errno('EISDIR', 'read', path);
        const chunk = file.data.subarray(position, position + length);
        buffer.set(chunk, offset);
        return { bytesRead: chunk.length };
      },
      sync: async () => {
        this.syncNode(fd);
        this.record({ op: 'sync', fd });
      },
      close: async () => {
        this.handles.delete(fd);
        this.record({ op: 'close', fd });
      },
    };
  }

  async readFile(path: string): Promise<Uint8Array> {
    const node = this.lookup(path, 'open');
    if (node.kind !== 'file') throw errno('EISDIR', 'read', path);
    return node.data.slice();
  }

  async readdir(path: string): Promise<string[]> {
    const node = this.lookup(path, 'scandir');
    if (node.kind !== 'dir') throw errno('ENOTDIR', 'scandir', path);
    return [...node.entries.keys()].sort();
  }

  async mkdir(path: string, options?: { recursive?: boolean }): Promise<string | undefined> {
    const recursive = options?.recursive === true;
    this.record({ op: 'mkdir', path, recursive });
    const parts = split(path);
    let dir = this.root;
    let first: string | undefined;
    for (const [i, part] of parts.entries()) {
      const existing = dir.entries.get(part);
      const last = i === parts.length - 1;
      if (existing) {
        if (existing.kind !== 'dir') throw errno('ENOTDIR', 'mkdir', path);
        if (last && !recursive) throw errno('EEXIST', 'mkdir', path);
        dir = existing;
        continue;
      }
      if (!last && !recursive) throw errno('ENOENT', 'mkdir', path);
      const created = newDir();
      dir.entries.set(part, created);
      first ??= `/${parts.slice(0, i + 1).join('/')}`;
      dir = created;
    }
    return recursive ? first : undefined;
  }

  async link(from: string, to: string): Promise<void> {
    const node = this.lookup(from, 'link');
    if (node.kind !== 'file') throw errno('EPERM', 'link', from);
    const [dir, name] = this.parent(to, 'link');
    if (dir.entries.has(name)) throw errno('EEXIST', 'link', to);
    dir.entries.set(name, node);
    this.record({ op: 'link', from, to });
  }

  async rename(from: string, to: string): Promise<void> {
    const [fromDir, fromName] = this.parent(from, 'rename');
    const node = fromDir.entries.get(fromName);
    if (!node) throw errno('ENOENT', 'rename', from);
    const [toDir, toName] = this.parent(to, 'rename');
    fromDir.entries.delete(fromName);
    toDir.entries.set(toName, node);
    this.record({ op: 'rename', from, to });
  }

  async unlink(path: string): Promise<void> {
    const [dir, name] = this.parent(path, 'unlink');
    const node = dir.entries.get(name);
    if (!node) throw errno('ENOENT', 'unlink', path);
    if (node.kind === 'dir') throw errno('EISDIR', 'unlink', path);
    dir.entries.delete(name);
    this.record({ op: 'unlink', path });
  }

  async stat(path: string): Promise<{ mtimeMs: number; size: number }> {
    const node = this.lookup(path, 'stat');
    return node.kind === 'file' ? { mtimeMs: node.mtimeMs, size: node.data.length } : { mtimeMs: 0, size: 0 };
  }

  private rebuild(file: (f: FileNode) => { data: Uint8Array; durable: Uint8Array | undefined }, entries: string) {
    const copies = new Map<SimNode, SimNode>();
    const copy = (node: SimNode): SimNode => {
      const done = copies.get(node);
      if (done) return done;
      if (node.kind === 'file') {
        const { data, durable } = file(node);
        const out: FileNode = { kind: 'file', data: data.slice(), durable: durable?.slice(), mtimeMs: node.mtimeMs };
        copies.set(node, out);
        return out;
      }
      const out = newDir();
      copies.set(node, out);
      const source = entries === 'durable' ? node.durable : node.entries;
      for (const [name, child] of source) out.entries.set(name, copy(child));
      if (entries === 'both') for (const [name, child] of node.durable) out.durable.set(name, copy(child));
      else out.durable = new Map(out.entries);
      return out;
    };
    const sim = new SimFs();
    sim.root = copy(this.root) as DirNode;
    return sim;
  }

  private lookup(path: string, call: string): SimNode {
    let node: SimNode = this.root;
    for (const part of split(path)) {
      if (node.kind !== 'dir') throw errno('ENOTDIR', call, path);
      const next = node.entries.get(part);
      if (!next) throw errno('ENOENT', call, path);
      node = next;
    }
    return node;
  }

  private parent(path: string, call: string): [DirNode, string] {
    const parts = split(path);
    const name = parts.pop();
    const dir = this.lookup(`/${parts.join('/')}`, call);
    if (name === undefined || dir.kind !== 'dir') throw errno('ENOENT', call, path);
    return [dir, name];
  }

  private openNode(path: string, flags: string): SimNode {
    if (flags === 'r') return this.lookup(path, 'open');
    const [dir, name] = this.parent(path, 'open');
    const existing = dir.entries.get(name);
    if (existing && flags === 'wx') throw errno('EEXIST', 'open', path);
    if (existing?.kind === 'dir') throw errno('EISDIR', 'open', path);
    const file: FileNode = { kind: 'file', data: new Uint8Array(0), durable: undefined, mtimeMs: this.clock++ };
    if (existing) {
      existing.data = new Uint8Array(0);
      return existing;
    }
    dir.entries.set(name, file);
    return file;
  }

  private record(op: SimOp): void {
    if (this.modelDurability) this.log.push(op);
  }

  private handleNode(fd: number): SimNode {
    const node = this.handles.get(fd);
    if (!node) throw errno('EBADF', 'handle', String(fd));
    return node;
  }

  private writeNode(fd: number, data: Uint8Array): void {
    const file = this.handleNode(fd);
    if (file.kind !== 'file') throw errno('EISDIR', 'write', String(fd));
    const out = new Uint8Array(file.data.length + data.length);
    out.set(file.data);
    out.set(data, file.data.length);
    file.data = out;
  }

  private syncNode(fd: number): void {
    const node = this.handleNode(fd);
    if (!this.modelDurability) return;
    if (node.kind === 'file') node.durable = node.data.slice();
    else node.durable = new Map(node.entries);
  }
}
