/** The command registry: every command the CLI knows, in --help order. */
import type { CommandDefinition } from '../command.js';
import { addons } from './addons.js';
import { addWorkers } from './add-workers.js';
import { addControlPlane } from './add-control-plane.js';
import { backup } from './backup.js';
import { certs } from './certs.js';
import { config } from './config.js';
import { destroy } from './destroy.js';
import { doctor } from './doctor.js';
import { init } from './init.js';
import { kubeconfig } from './kubeconfig.js';
import { removeWorkers } from './remove-workers.js';
import { removeControlPlane } from './remove-control-plane.js';
import { restore } from './restore.js';
import { ssh } from './ssh.js';
import { status } from './status.js';
import { upgrade } from './upgrade.js';

export const COMMANDS: readonly CommandDefinition[] = [init, addWorkers, removeWorkers, addControlPlane, removeControlPlane, upgrade, backup, restore, certs, addons, status, kubeconfig, ssh, destroy, doctor, config];
