/**
 * The slice of ssh2's client API this project uses. @types/ssh2 is not a dependency, so node-ssh's
 * `connection` arrives untyped; these structural types keep pool.ts, session.ts and channel.ts
 * checked.
 */
import type { Duplex, Readable } from 'node:stream';

export interface ExecChannel extends Duplex {
  stderr: Readable;
  close(): void;
  /** Sends an SSH "signal" request (OpenSSH >= 7.9 delivers it to the command). */
  signal(name: string): boolean;
  on(event: 'exit', listener: (code: number | null, signal?: string) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: string, listener: (...args: any[]) => void): this;
}

export interface SftpSession {
  writeFile(path: string, data: Buffer | string, options: { mode: number }, callback: (error?: Error | null) => void): void;
  /** ssh2's SFTPWrapper.fastGet: a remote file to a local path, in parallel chunks. */
  fastGet(remotePath: string, localPath: string, options: { mode?: number }, callback: (error?: Error | null) => void): void;
  end(): void;
}

export interface Ssh2Client {
  exec(command: string, options: Record<string, unknown>, callback: (error: Error | undefined, channel: ExecChannel) => void): boolean;
  sftp(callback: (error: Error | undefined, sftp: SftpSession) => void): void;
  forwardOut(srcIp: string, srcPort: number, dstIp: string, dstPort: number, callback: (error: Error | undefined, channel: Duplex) => void): boolean;
  end(): void;
  on(event: 'close' | 'end', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}
