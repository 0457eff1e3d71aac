/**
 * One live SSH connection, shared by the pool that opens it and the session and channels that
 * use it, plus the signal that it went away under an operation (which the session turns into a
 * reconnect or a ConnectionLostError).
 */
import type { NodeSSH } from 'node-ssh';
import type { Ssh2Client } from './types.js';

/** Raised inside one attempt when the connection went away under it; never leaves the SSH layer. */
export class ConnectionDropped extends Error {}

export class Link {
  closed = false;
  stagingReady = false;
  private readonly closeListeners = new Set<() => void>();

  constructor(
    readonly ssh: NodeSSH,
    readonly client: Ssh2Client,
  ) {
    // Without an 'error' listener a reset socket would crash the process; 'close' follows it.
    client.on('error', () => undefined);
    const markClosed = () => {
      if (this.closed) return;
      this.closed = true;
      for (const listener of this.closeListeners) listener();
      this.closeListeners.clear();
    };
    client.on('close', markClosed);
    client.on('end', markClosed);
  }

  onClose(listener: () => void): () => void {
    if (this.closed) {
      listener();
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  dispose(): void {
    this.closed = true;
    this.ssh.dispose();
  }
}
