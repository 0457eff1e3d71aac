/**
 * Which add-ons a command is about: the names given (checked against the set, and for `apply`
 * against cluster.yaml), else all of them. Decided from the folder alone, before any SSH, so a
 * typo or a disabled add-on is a usage error (exit 2) that changed nothing.
 */
import { UsageError } from '../../errors.js';
import type { ClusterSpec } from '../../config/schema.js';
import { addonEnabled, enabledAddonNames } from '../../config/addons.js';
import { ADDON_NAMES, isAddonName, type AddonName } from '../../kube/addons/pins.js';

/** The named add-ons in apply order, or every add-on; unknown names are refused, naming the valid ones. */
export function namedAddons(names: readonly string[] | undefined): AddonName[] {
  const given = [...new Set(names ?? [])];
  if (given.length === 0) return [...ADDON_NAMES];
  const unknown = given.filter((name) => !isAddonName(name));
  if (unknown.length > 0) {
    throw new UsageError('UnknownAddon', `${unknown.length === 1 ? 'There is no add-on' : 'There are no add-ons'} named ${unknown.map((n) => JSON.stringify(n)).join(', ')}`, {
      hint: `The add-ons: ${ADDON_NAMES.join(', ')}.`,
    });
  }
  return ADDON_NAMES.filter((name) => given.includes(name));
}

/**
 * What `addons apply` installs: the named add-ons, each of which must be enabled in cluster.yaml
 * (the tool never installs what the spec turns off, and never uninstalls it either), else every
 * enabled one.
 */
export function applyTargets(spec: ClusterSpec, names: readonly string[] | undefined, file: string): AddonName[] {
  if (!names || names.length === 0) return enabledAddonNames(spec);
  const targets = namedAddons(names);
  const disabled = targets.filter((name) => !addonEnabled(spec, name));
  if (disabled.length > 0) {
    throw new UsageError('AddonDisabled', `${disabled.join(', ')} ${disabled.length === 1 ? 'is' : 'are'} not enabled in ${file}`, {
      hint: `Enable ${disabled.length === 1 ? 'it' : 'them'} in cluster.yaml: ${disabled.map((name) => `addons.${name}.enabled: true`).join(', ')}; then run the command again. Nothing was changed.`,
    });
  }
  return targets;
}
