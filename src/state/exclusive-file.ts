/**
 * Creating a file with its whole content, or not at all, when it must not exist yet: the text is
 * written to a temp name and fsynced, then hard-linked to the real name. link() fails with EEXIST
 * like O_EXCL, and unlike O_EXCL nobody ever sees the file empty or half written.
 */
import { link, open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncFolder } from './atomic.js';

/** True when this call created the file; false when it existed already. */
export async function createFileExclusively(path: string, text: string, mode = 0o644): Promise<boolean> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(text);
    // The content must be on disk before the name points at it.
    await handle.sync();
  } finally {
    await handle.close();
  }
  let created = false;
  try {
    await link(temp, path);
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temp, { force: true });
  }
  if (created) await fsyncFolder(dirname(path));
  return created;
}
