/**
 * init's cluster folder: cluster.yaml written under the cluster lock, and the rule that a built
 * cluster is only ever resumed with the spec it was built from. The dry run writes here too
 * while the folder holds no cluster yet, and into a scratch folder otherwise.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockedError, UsageError } from '../../errors.js';
import { noteTo, type Host } from '../../engine/host.js';
import { parseSpecYaml } from '../../config/load.js';
import { SCHEMA_FILE, type ClusterSpec } from '../../config/schema.js';
import { clusterJsonSchemaText, serializeSpec } from '../../config/serialize.js';
import { validateSpec } from '../../config/validate/index.js';
import { ClusterDir } from '../../state/cluster-dir.js';
import { acquireLock, type Lock } from '../../state/lock.js';
import { readTextIfExists } from '../../state/read-optional.js';
import { appliedSpec, clusterBuilt, sameClusterSpec, saveSpec, specChanges } from '../../state/spec-record.js';
import { withRecordedCredentialSource } from './credential-switch.js';
import { StateStore } from '../../state/state-store.js';

/**
 * Writes cluster.yaml (with its fingerprint in state.json), under the cluster lock. Re-running
 * with the same spec changes nothing. Once init has started, a different spec is refused,
 * whether it comes from flags or from an edit of cluster.yaml itself: state.json remembers the
 * spec the cluster was built with. Before that, a different spec replaces cluster.yaml only after
 * the host says yes (--yes, or a person), keeping the old file as cluster.yaml.previous.
 */
export async function writeClusterFolder(host: Host, dir: ClusterDir, spec: ClusterSpec): Promise<void> {
  await dir.ensure();
  const state = await StateStore.open(dir.stateFile, spec.name);
  const { built, recorded, existingText, same } = await assertBuiltFromThisSpec(dir, state, spec);
  if (existingText !== undefined && !same) {
    const replace = await host.confirm({
      command: 'init',
      message: `${dir.specFile} exists with a different spec. Replace it?`,
      doing: `replacing ${dir.specFile}`,
      safeAnswer: false,
    });
    if (!replace) {
      throw new UsageError('SpecExists', `${dir.specFile} already exists with a different spec`, {
        hint: 'Pass --yes to replace it (the old one is kept as cluster.yaml.previous), or choose another --dir or --name.',
      });
    }
    await dir.writeFile('cluster.yaml.previous', existingText);
    noteTo(host, `Replaced ${dir.specFile}; the old spec is in cluster.yaml.previous.`);
  }
  // Nothing is built yet: the folder now belongs to this spec's cluster (its name too).
  if (!built && state.current.cluster !== spec.name) {
    await state.update((current) => {
      current.cluster = spec.name;
    });
  }
  if (!same || recorded === undefined || !sameClusterSpec(recorded, spec)) await saveSpec(dir, state, spec);
}

/**
 * Refuses a spec other than the one a built cluster came from: the one recorded in state.json
 * (so an in-place edit of cluster.yaml is caught too), or cluster.yaml itself for older folders.
 * Reads only; the dry run asks the same question the real run would.
 */
async function assertBuiltFromThisSpec(dir: ClusterDir, state: StateStore, spec: ClusterSpec) {
  const built = clusterBuilt(state.current);
  const recorded = appliedSpec(state.current);
  // cloudIntegration.credentials may switch on a built cluster (init warns: credential-switch.ts).
  if (built && recorded !== undefined && !sameClusterSpec(recorded, withRecordedCredentialSource(spec, recorded))) {
    throw new UsageError('SpecChanged', `The cluster in ${dir.root} was built from another spec than this one: ${specChanges(recorded, spec).join('; ')}`, {
      hint: `Undo the change (in ${dir.specFile} or the flags) and run init again to resume; change the cluster with add-workers, remove-workers or upgrade; or choose another --dir or --name. Nothing was changed.`,
    });
  }
  const existingText = await readTextIfExists(dir.specFile);
  const same = existingText !== undefined && (await sameSpec(existingText, dir.specFile, spec));
  if (existingText !== undefined && !same && built) {
    throw new UsageError('SpecChanged', `${dir.specFile} describes a cluster that init already built, and it differs from this one`, {
      hint: `Run init --config ${dir.specFile} to resume it; change the cluster with add-workers, remove-workers or upgrade; or choose another --dir or --name. Nothing was changed.`,
    });
  }
  return { built, recorded, existingText, same };
}

/** Same cluster when the file validates to an equal spec; comments and formatting do not count. */
async function sameSpec(text: string, source: string, spec: ClusterSpec): Promise<boolean> {
  try {
    return sameClusterSpec(validateSpec(parseSpecYaml(text, source)), spec);
  } catch {
    return false;
  }
}

/**
 * Where a dry run renders: the cluster folder while it holds no cluster yet (under the lock);
 * a scratch folder when the folder holds a live cluster or another run has it locked, so a live
 * cluster's terraform/ and packer/ inputs are never replaced by placeholders.
 */
export async function dryRunFolder(host: Host, dir: ClusterDir, spec: ClusterSpec): Promise<{ dir: ClusterDir; lock?: Lock }> {
  const why = await liveClusterIn(dir);
  let lock: Lock | undefined;
  let busy = why;
  if (!busy) {
    try {
      lock = await acquireLock(dir, 'init --dry-run');
      // Looked at again under the lock: a run may have finished building in between.
      busy = await liveClusterIn(dir);
      if (busy) await lock.release();
    } catch (error) {
      if (!(error instanceof LockedError)) throw error;
      busy = 'another run holds its lock';
    }
  }
  if (busy) {
    // A spec the real run would refuse is refused here too, not rendered as if it would apply.
    if (existsSync(dir.stateFile)) await assertBuiltFromThisSpec(dir, await StateStore.open(dir.stateFile, spec.name), spec);
    const scratch = new ClusterDir(await mkdtemp(join(tmpdir(), `k8sb-dry-run-${spec.name}-`)));
    noteTo(host, `${dir.root} ${busy}: the dry run writes to ${scratch.root} instead and leaves the cluster folder as it is.`);
    await scratch.ensure();
    await (await StateStore.open(scratch.stateFile, spec.name)).save();
    await scratch.writeFile(SCHEMA_FILE, clusterJsonSchemaText());
    await scratch.writeFile('cluster.yaml', serializeSpec(spec));
    return { dir: scratch };
  }
  try {
    await writeClusterFolder(host, dir, spec);
  } catch (error) {
    await lock?.release();
    throw error;
  }
  return { dir, lock };
}

/** Why `dir` holds a cluster that a dry run must not touch, or undefined. */
async function liveClusterIn(dir: ClusterDir): Promise<string | undefined> {
  if ((await readTextIfExists(dir.inventoryFile)) !== undefined) return 'holds a built cluster (inventory.json)';
  const stateText = await readTextIfExists(dir.stateFile);
  if (stateText === undefined) return undefined;
  const state = await StateStore.open(dir.stateFile, '');
  return Object.keys(state.current.steps).length > 0 ? 'holds a cluster that init started (state.json)' : undefined;
}
