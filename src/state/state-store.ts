/**
 * state.json: what is done. Written atomically after every finished step so that a run killed
 * at any point (SIGKILL included) resumes from the last checkpoint.
 */
import { readFile } from 'node:fs/promises';
import { DNS1123_LABEL } from '../config/patterns.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

export const STATE_VERSION = 1;

export interface Checkpoint {
  finishedAt: string;
  /** Fingerprint of the step's inputs when it finished. */
  inputs?: string;
  node?: string;
}

export interface ClusterState {
  version: typeof STATE_VERSION;
  cluster: string;
  /** Kubernetes version the cluster runs now (changes with upgrades). */
  kubernetesVersion?: string;
  image?: { id: string; inputsHash: string; builtAt: string };
  /** Finished steps by step id. */
  steps: Record<string, Checkpoint>;
  /** Free-form facts later runs need (join material timestamps, upgrade progress). */
  facts: Record<string, string | number | boolean>;
}

export function emptyState(cluster: string): ClusterState {
  return { version: STATE_VERSION, cluster, steps: {}, facts: {} };
}

export class StateStore {
  private state: ClusterState;
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly path: string, state: ClusterState) {
    this.state = state;
  }

  static async open(path: string, cluster: string): Promise<StateStore> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new StateStore(path, emptyState(cluster));
      throw error;
    }
    return new StateStore(path, parseState(text, path));
  }

  get current(): Readonly<ClusterState> {
    return this.state;
  }

  isDone(stepId: string, inputs?: string): boolean {
    const checkpoint = this.state.steps[stepId];
    return checkpoint !== undefined && (inputs === undefined || checkpoint.inputs === inputs);
  }

  /**
   * Records a step as done. `unchanged`: the step found its work already done (its check said so),
   * so a checkpoint it had keeps the time the work was really done; status's "last finished step"
   * then names work, not a rerun's checks.
   */
  async markDone(stepId: string, checkpoint: Omit<Checkpoint, 'finishedAt'> = {}, options: { unchanged?: boolean } = {}): Promise<void> {
    const earlier = options.unchanged ? this.state.steps[stepId]?.finishedAt : undefined;
    this.state.steps[stepId] = { finishedAt: earlier ?? new Date().toISOString(), ...checkpoint };
    await this.save();
  }

  async update(mutate: (state: ClusterState) => void): Promise<void> {
    mutate(this.state);
    await this.save();
  }

  /** Serialised: concurrent steps finishing together must not interleave writes. */
  save(): Promise<void> {
    const snapshot = `${JSON.stringify(this.state, null, 2)}\n`;
    this.writing = this.writing.then(() => writeFileAtomic(this.path, snapshot, 0o644));
    return this.writing;
  }
}

/** Refuses state it does not understand rather than misreading it. */
export function parseState(text: string, path: string): ClusterState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError('StateCorrupt', `${path} is not valid JSON`, {
      hint: 'Restore it from a backup, or delete it to start the checkpoints over (steps re-check the nodes before acting).',
    });
  }
  const candidate = raw as Partial<ClusterState> | null;
  if (!candidate || typeof candidate !== 'object' || typeof candidate.version !== 'number') {
    throw new UsageError('StateCorrupt', `${path} has no state version`, { hint: 'It was not written by k8s-bootstrap; move it away.' });
  }
  if (candidate.version > STATE_VERSION) {
    throw new UsageError('StateTooNew', `${path} has state version ${candidate.version}, newer than this k8s-bootstrap understands (${STATE_VERSION})`, {
      // The package is not on the npm registry yet, so no `npm i -g …@latest`: the newer tool is wherever it came from.
      hint: 'Use the newer k8s-bootstrap that wrote it before touching this cluster (k8s-bootstrap --version shows this one).',
    });
  }
  if (candidate.version < 1) {
    throw new UsageError('StateTooOld', `${path} has state version ${candidate.version}, which cannot be migrated`, {
      hint: 'Re-create the state with an older k8s-bootstrap release.',
    });
  }
  const cluster = String(candidate.cluster ?? '');
  if (cluster !== '' && !DNS1123_LABEL.test(cluster)) {
    throw new UsageError('StateCorrupt', `${path} names cluster ${JSON.stringify(cluster)}, which is not a DNS-1123 label`, {
      hint: 'It was not written by k8s-bootstrap, or was edited; restore it from a backup.',
    });
  }
  return {
    version: STATE_VERSION,
    cluster,
    kubernetesVersion: candidate.kubernetesVersion,
    image: candidate.image,
    steps: candidate.steps ?? {},
    facts: candidate.facts ?? {},
  };
}
