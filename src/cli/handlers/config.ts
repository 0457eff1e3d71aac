import { NotImplementedError } from '../../errors.js';
import type { CommandHandler } from '../command.js';

// Replaced by the spec work.
export const runConfigSchema: CommandHandler = async () => { throw new NotImplementedError('config schema'); };
export const runConfigExample: CommandHandler = async () => { throw new NotImplementedError('config example'); };
export const runConfigValidate: CommandHandler = async () => { throw new NotImplementedError('config validate'); };
