import { NotImplementedError } from '../../errors.js';
import type { CommandHandler } from '../command.js';

// Replaced by the wizard/init work.
export const runInit: CommandHandler = async () => {
  throw new NotImplementedError('init');
};
