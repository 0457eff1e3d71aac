import { NotImplementedError } from '../errors.js';
import type { CommandHandler } from './command.js';

/** Placeholder handler for a declared command whose capability has not landed yet (exit 1). */
export function notImplemented(name: string): () => Promise<CommandHandler> {
  return async () => async () => {
    throw new NotImplementedError(name);
  };
}
