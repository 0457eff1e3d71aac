// apt-get, apt-mark, apt-cache and dpkg-query over the node's simulated package database:
// sources read like apt reads them (one-line .list and deb822 .sources, signed-by keyrings,
// conflicting Signed-By values), package relations that make apt remove packages
// (containerd.io Conflicts/Replaces containerd; docker-ce Depends on containerd.io), the config
// files packages ship, and the dpkg and lists locks that unattended-upgrades holds after boot.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fail, flagValue, isRoot, NODE_STATE_DIR, nodeState, parseArgs, sleep, updateNodeState } from './context.mjs';
import { readJson, updateJson } from './lock.mjs';
import { DOCKER_STOCK_CONFIG, effectiveConfig, installedContainerd } from './containerd.mjs';
import { RELATIONS } from './distros.mjs';
import {
  availableVersions,
  classifySource,
  compareVersions,
  crioRepoUrl,
  k8sRepoUrl,
  knownPackage,
  matchesPin,
  nodeDistro,
  PACKAGE_SERVICES,
  readSources,
  sourcesConflict,
  validKeyring,
} from './packages.mjs';

/** The process a fresh cloud VM's apt-daily/unattended-upgrades runs under (comm is cut at 15 characters). */
const LOCK_HOLDER = { pid: 1187, name: 'unattended-upgr' };

export async function run(tool, argv) {
  switch (tool) {
    case 'apt-get':
      return aptGet(argv);
    case 'apt-mark':
      return aptMark(argv);
    case 'apt-cache':
      return aptCache(argv);
    default:
      return dpkgQuery(argv);
  }
}

function requireDpkgLock() {
  if (!isRoot()) {
    fail(
      100,
      'E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\n' +
        'E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?',
    );
  }
}

async function aptGet(argv) {
  const { flags, positional } = parseArgs(argv, { withValue: ['o', 'option', 'c', 't', 'target-release'] });
  const [command, ...packages] = positional;
  const conflict = sourcesConflict();
  if (conflict && command) fail(100, conflict);
  switch (command) {
    case 'update':
      requireListsLock();
      return aptUpdate();
    case 'install':
      requireDpkgLock();
      await waitForDpkgLock(flags);
      return aptInstall(flags, packages);
    case 'remove':
    case 'purge':
      requireDpkgLock();
      await waitForDpkgLock(flags);
      return aptRemove(flags, packages);
    case 'clean':
    case 'autoremove':
      requireDpkgLock();
      return 0;
    case undefined:
      fail(100, 'E: Invalid operation');
    default:
      fail(100, `E: Invalid operation ${command}`);
  }
}

// ---------------------------------------------------------------- locks

/**
 * A fault { aptBusyMs: { lists?, dpkg? } } starts the boot-time apt jobs on the node: the lists
 * lock (apt-daily's update) and the dpkg frontend lock (unattended-upgrade) stay held that long
 * from the first apt call on.
 */
function locks() {
  return updateNodeState((state) => {
    const busy = readFaultOnce('aptBusyMs');
    if (busy) {
      const now = Date.now();
      state.locks = { listsUntil: busy.lists ? now + busy.lists : 0, dpkgUntil: busy.dpkg ? now + busy.dpkg : 0 };
    }
    return state.locks ?? { listsUntil: 0, dpkgUntil: 0 };
  });
}

function readFaultOnce(kind) {
  const file = `${NODE_STATE_DIR}/faults.json`;
  if (!existsSync(file) || !readJson(file, {})[kind]) return undefined;
  return updateJson(file, {}, (faults) => {
    const value = faults[kind];
    delete faults[kind];
    return value;
  });
}

/** `apt-get update` takes the lists lock without waiting: DPkg::Lock::Timeout does not cover it (apt-pkg/acquire.cc). */
function requireListsLock() {
  if (locks().listsUntil > Date.now()) {
    fail(100, `Reading package lists...\nE: Could not get lock /var/lib/apt/lists/lock. It is held by process ${LOCK_HOLDER.pid} (apt-get)\nE: Unable to lock directory /var/lib/apt/lists/`);
  }
}

/** The dpkg frontend lock: apt-get waits for it only with -o DPkg::Lock::Timeout=N (apt >= 2.0). */
async function waitForDpkgLock(flags) {
  const options = [].concat(flags.o ?? [], flags.option ?? []).map(String);
  const timeout = Number(options.map((option) => /^DPkg::Lock::Timeout=(-?\d+)$/i.exec(option)?.[1]).find((value) => value !== undefined) ?? 0);
  const held = `Could not get lock /var/lib/dpkg/lock-frontend. It is held by process ${LOCK_HOLDER.pid} (${LOCK_HOLDER.name})`;
  const deadline = timeout < 0 ? Infinity : Date.now() + timeout * 1000;
  for (;;) {
    const until = locks().dpkgUntil;
    if (until <= Date.now()) return;
    if (Date.now() >= deadline) {
      fail(100, `${timeout > 0 ? '' : `E: ${held}\n`}E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?`);
    }
    process.stdout.write(`Waiting for cache lock: ${held}...\n`);
    await sleep(Math.min(1000, until - Date.now(), deadline - Date.now()));
  }
}

// ---------------------------------------------------------------- update

function aptUpdate() {
  if (!isRoot()) {
    fail(100, 'Reading package lists...\nE: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)\nE: Unable to lock directory /var/lib/apt/lists/');
  }
  const distro = nodeDistro();
  const lines = [`Hit:1 ${distro.archive.split(' ').slice(0, 2).join(' ')} InRelease`];
  const errors = [];
  const lists = { kubernetes: null, crio: null, docker: false };
  let counter = 2;
  for (const entry of readSources()) {
    const repo = { ...entry, ...classifySource(entry, distro) };
    const number = counter++;
    if (repo.kind === 'other') {
      lines.push(`Ign:${number} ${repo.url}  InRelease`);
      continue;
    }
    if (repo.kind === 'docker' && !repo.suiteOk) {
      lines.push(`Err:${number} ${repo.url} ${repo.suite} Release`, '  404  Not Found [IP: 127.0.0.1 443]');
      errors.push(`E: The repository '${repo.url} ${repo.suite} Release' does not have a Release file.`);
      continue;
    }
    if (repo.kind === 'kubernetes' && !(fleetCatalogueHas(repo.minor))) {
      lines.push(`Err:${number} ${repo.url}  InRelease`, '  403  Forbidden [IP: 127.0.0.1 443]');
      errors.push(`E: Failed to fetch ${repo.url}/InRelease  403  Forbidden [IP: 127.0.0.1 443]`, `E: The repository '${repo.url}  InRelease' is not signed.`);
      continue;
    }
    if (!validKeyring(repo.signedBy)) {
      lines.push(`Get:${number} ${repo.url}  InRelease [1,186 B]`, `Err:${number} ${repo.url}  InRelease`);
      lines.push('  The following signatures couldn\'t be verified because the public key is not available: NO_PUBKEY 234654DA9A296436');
      errors.push(`E: The repository '${repo.url}  InRelease' is not signed.`);
      continue;
    }
    lines.push(`Get:${number} ${repo.url}  InRelease [1,186 B]`, `Get:${counter++} ${repo.url}  Packages [4,865 B]`);
    lists[repo.kind] = repo.kind === 'docker' ? true : repo.minor;
  }
  lines.push('Fetched 6,051 B in 0s (60.5 kB/s)', 'Reading package lists...');
  updateNodeState((state) => {
    state.apt = { lists, updatedAt: new Date().toISOString() };
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  if (errors.length > 0) {
    process.stderr.write(`${errors.join('\n')}\nN: Updating from such a repository can't be done securely, and is therefore disabled by default.\n`);
    return 100;
  }
  return 0;
}

function fleetCatalogueHas(minor) {
  return availableVersions('kubeadm', { kubernetes: minor, crio: null, docker: false }).some((entry) => entry.origin.includes('pkgs.k8s.io'));
}

function aptInstall(flags, specs) {
  if (specs.length === 0) fail(100, 'E: No packages found');
  const state = nodeState();
  const lists = state.apt.lists;
  const installed = state.packages.installed;
  const plan = [];
  const pick = (name, pin) => {
    const versions = availableVersions(name, lists, state);
    if (versions.length === 0) fail(100, `Reading package lists...\nBuilding dependency tree...\nReading state information...\nE: Unable to locate package ${name}`);
    const candidates = pin === undefined ? versions : versions.filter((entry) => matchesPin(entry.version, pin));
    if (candidates.length === 0) fail(100, `Reading package lists...\nBuilding dependency tree...\nReading state information...\nE: Version '${pin}' for '${name}' was not found`);
    return { name, version: candidates[0].version, current: installed[name] ?? null };
  };
  for (const spec of specs) {
    const [name, pin] = spec.split(/=(.*)/);
    plan.push(pick(name, pin));
  }
  // Dependencies that nothing installed provides come along, like apt's resolver does.
  const provided = (name, set) => set.some((pkg) => pkg === name || (RELATIONS[pkg]?.provides ?? []).includes(name));
  for (let index = 0; index < plan.length; index++) {
    for (const dependency of RELATIONS[plan[index].name]?.depends ?? []) {
      const wanted = [...Object.keys(installed), ...plan.map((entry) => entry.name)];
      if (!provided(dependency, wanted)) plan.push(pick(dependency));
    }
  }
  const removals = removalsFor(plan.map((entry) => entry.name), installed);
  const changes = plan.filter((entry) => entry.current !== entry.version);
  const header = ['Reading package lists...', 'Building dependency tree...', 'Reading state information...'];
  for (const entry of plan.filter((item) => item.current === item.version)) {
    header.push(`${entry.name} is already the newest version (${entry.version}).`);
  }
  const held = changes.filter((entry) => entry.current && state.packages.held.includes(entry.name));
  const downgraded = changes.filter((entry) => entry.current && compareVersions(entry.version, entry.current) < 0);
  const fresh = changes.filter((entry) => !entry.current);
  const upgraded = changes.filter((entry) => entry.current && compareVersions(entry.version, entry.current) > 0);
  if (removals.length > 0) header.push('The following packages will be REMOVED:', `  ${removals.join(' ')}`);
  if (held.length > 0) header.push('The following held packages will be changed:', `  ${held.map((entry) => entry.name).join(' ')}`);
  if (fresh.length > 0) header.push('The following NEW packages will be installed:', `  ${fresh.map((entry) => entry.name).join(' ')}`);
  if (upgraded.length > 0) header.push('The following packages will be upgraded:', `  ${upgraded.map((entry) => entry.name).join(' ')}`);
  if (downgraded.length > 0) header.push('The following packages will be DOWNGRADED:', `  ${downgraded.map((entry) => entry.name).join(' ')}`);
  header.push(`${upgraded.length} upgraded, ${fresh.length} newly installed, ${downgraded.length} downgraded, ${removals.length} to remove and 0 not upgraded.`);
  const heldRemoved = removals.filter((name) => state.packages.held.includes(name));
  if ((held.length > 0 || heldRemoved.length > 0) && !flags['allow-change-held-packages']) {
    fail(100, `${header.join('\n')}\nE: Held packages were changed and -y was used without --allow-change-held-packages.`);
  }
  if (downgraded.length > 0 && !flags['allow-downgrades']) {
    fail(100, `${header.join('\n')}\nE: Packages were downgraded and -y was used without --allow-downgrades.`);
  }
  if ((changes.length > 0 || removals.length > 0) && !flags.y && !flags.yes && !flags['assume-yes'] && !Array.isArray(flags.q)) {
    fail(1, `${header.join('\n')}\nDo you want to continue? [Y/n] Abort.`);
  }
  updateNodeState((next) => {
    for (const name of removals) {
      delete next.packages.installed[name];
      next.packages.held = next.packages.held.filter((entry) => entry !== name);
      const service = PACKAGE_SERVICES[name];
      if (service && !serviceStillInstalled(service.service, next.packages.installed, changes)) delete next.services[service.service];
    }
    for (const entry of changes) next.packages.installed[entry.name] = entry.version;
  });
  for (const entry of changes) packageFiles(entry.name);
  // Postinst scripts start (or, on upgrade, restart) the services their packages bring.
  for (const entry of changes) {
    const service = PACKAGE_SERVICES[entry.name];
    if (service) startPackageService(service, entry);
  }
  const body = [...removals.map((name) => `Removing ${name} ...`), ...changes.map((entry) => `Setting up ${entry.name} (${entry.version}) ...`)];
  process.stdout.write(`${[...header, ...body].join('\n')}\n`);
  return 0;
}

/**
 * Installed packages apt removes to install `names`: those a new package Conflicts with (either
 * way), then those whose dependencies are gone (docker-ce without containerd.io, docker.io
 * without the distribution's containerd: a versioned dependency that containerd.io's
 * unversioned Provides does not satisfy).
 */
function removalsFor(names, installed) {
  const removed = new Set();
  for (const name of names) {
    for (const other of Object.keys(installed)) {
      if (names.includes(other)) continue;
      if ((RELATIONS[name]?.conflicts ?? []).includes(other) || (RELATIONS[other]?.conflicts ?? []).includes(name)) removed.add(other);
    }
  }
  let changed = true;
  while (changed) {
    changed = false;
    const remaining = [...Object.keys(installed).filter((pkg) => !removed.has(pkg)), ...names];
    for (const pkg of Object.keys(installed)) {
      if (removed.has(pkg) || names.includes(pkg)) continue;
      const relation = RELATIONS[pkg] ?? {};
      const unmet = (relation.depends ?? []).some((dependency) => {
        if (remaining.includes(dependency)) return false;
        if ((relation.versionedDepends ?? []).includes(dependency)) return true;
        return !remaining.some((candidate) => (RELATIONS[candidate]?.provides ?? []).includes(dependency));
      });
      if (unmet) {
        removed.add(pkg);
        changed = true;
      }
    }
  }
  return [...removed].sort();
}

function serviceStillInstalled(service, installed, changes) {
  return Object.entries(PACKAGE_SERVICES).some(([pkg, info]) => info.service === service && (installed[pkg] || changes.some((entry) => entry.name === pkg)));
}

/** A package's postinst: enable + start its service, or restart it on upgrade; containerd loads its config. */
function startPackageService(service, entry) {
  const containerd = service.service === 'containerd' ? effectiveConfig(installedContainerd()) : null;
  updateNodeState((next) => {
    const current = next.services[service.service];
    const start = entry.current ? Boolean(current?.running) || service.start : service.start;
    next.services[service.service] = { enabled: current?.enabled ?? service.enable, running: start, failed: false };
    if (containerd) {
      if (containerd.ok) next.runtime = { kind: 'containerd', ...containerd };
      else next.services.containerd = { ...next.services.containerd, running: false, failed: true, lastError: containerd.error };
    }
    if (service.service === 'kubelet') next.kubelet = { runningVersion: entry.version, startedAt: new Date().toISOString() };
  });
}

/** Files a package ships that an installer may look at or edit (only when they are not there yet: dpkg keeps changed conffiles). */
function packageFiles(name) {
  if (name === 'containerd.io' && !existsSync('/etc/containerd/config.toml')) {
    // Docker's package ships a config that disables the CRI plugin (kubeadm's preflight then fails).
    mkdirSync('/etc/containerd', { recursive: true });
    writeFileSync('/etc/containerd/config.toml', DOCKER_STOCK_CONFIG);
  }
  const distro = nodeDistro();
  if (name === 'containerd' && distro.containerdConfig && !existsSync('/etc/containerd/config.toml')) {
    mkdirSync('/etc/containerd', { recursive: true });
    writeFileSync('/etc/containerd/config.toml', distro.containerdConfig);
  }
  if (name === 'haproxy' && !existsSync('/etc/haproxy/haproxy.cfg')) {
    writeFileSync('/etc/haproxy/haproxy.cfg', 'global\n\tlog /dev/log\tlocal0\n\tdaemon\n\ndefaults\n\tmode\thttp\n\ttimeout connect 5000\n');
  }
}

function aptRemove(flags, names) {
  const state = nodeState();
  const present = names.filter((name) => state.packages.installed[name]);
  const held = present.filter((name) => state.packages.held.includes(name));
  if (held.length > 0 && !flags['allow-change-held-packages']) {
    fail(100, `The following held packages will be changed:\n  ${held.join(' ')}\nE: Held packages were changed and -y was used without --allow-change-held-packages.`);
  }
  updateNodeState((next) => {
    for (const name of present) {
      delete next.packages.installed[name];
      const service = PACKAGE_SERVICES[name];
      if (service) delete next.services[service.service];
    }
  });
  process.stdout.write(`Reading package lists...\n${present.map((name) => `Removing ${name} ...`).join('\n')}\n`);
  return 0;
}

function aptMark(argv) {
  const [command, ...names] = argv.filter((arg) => !arg.startsWith('-'));
  const state = nodeState();
  if (command === 'showhold') {
    process.stdout.write(state.packages.held.map((name) => `${name}\n`).join(''));
    return 0;
  }
  if (command !== 'hold' && command !== 'unhold') fail(100, `E: Invalid operation ${command ?? ''}`);
  if (!isRoot()) {
    fail(100, 'E: Could not create temporary file for /var/lib/apt/extended_states - mkstemp (13: Permission denied)\nE: Failed to write temporary StateFile /var/lib/apt/extended_states');
  }
  if (names.length === 0) fail(100, 'E: No packages found');
  const lines = [];
  for (const name of names) {
    if (!state.packages.installed[name] && !knownPackage(name, state.apt.lists)) fail(100, `E: Unable to locate package ${name}`);
  }
  updateNodeState((next) => {
    for (const name of names) {
      const held = next.packages.held.includes(name);
      if (command === 'hold') {
        lines.push(held ? `${name} was already set on hold.` : `${name} set on hold.`);
        if (!held) next.packages.held.push(name);
      } else {
        lines.push(held ? `Canceled hold on ${name}.` : `${name} was already not on hold.`);
        next.packages.held = next.packages.held.filter((entry) => entry !== name);
      }
    }
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function aptCache(argv) {
  const [command, ...names] = argv.filter((arg) => !arg.startsWith('-'));
  const state = nodeState();
  if (command === 'madison') {
    const lines = [];
    for (const name of names) {
      for (const entry of availableVersions(name, state.apt.lists)) lines.push(`${name.padStart(10)} | ${entry.version} | ${entry.origin}`);
    }
    if (lines.length === 0) fail(0, names.map((name) => `N: Unable to locate package ${name}`).join('\n'));
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }
  if (command === 'policy') {
    const out = [];
    for (const name of names) {
      const versions = availableVersions(name, state.apt.lists);
      const installed = state.packages.installed[name] ?? '(none)';
      out.push(`${name}:`, `  Installed: ${installed}`, `  Candidate: ${versions[0]?.version ?? '(none)'}`, '  Version table:');
      for (const entry of versions) {
        out.push(`${entry.version === installed ? ' *** ' : '     '}${entry.version} 500`, `        500 ${entry.origin}`);
      }
    }
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  }
  fail(100, `E: Invalid operation ${command ?? ''}`);
}

function dpkgQuery(argv) {
  const { flags, positional } = parseArgs(argv, { withValue: ['f', 'showformat'] });
  const state = nodeState();
  if (flags.s || flags.status) {
    const name = positional[0];
    const version = state.packages.installed[name];
    if (!version) fail(1, `dpkg-query: package '${name}' is not installed and no information is available`);
    process.stdout.write(`Package: ${name}\nStatus: ${state.packages.held.includes(name) ? 'hold' : 'install'} ok installed\nVersion: ${version}\n`);
    return 0;
  }
  if (!flags.W && !flags.show) fail(2, 'dpkg-query: need an action option\n\nType dpkg-query --help for help about querying packages.');
  const format = flagValue(flags, 'f') ?? flagValue(flags, 'showformat') ?? '${Package}\t${Version}\n';
  let code = 0;
  for (const name of positional) {
    const version = state.packages.installed[name];
    if (!version) {
      process.stderr.write(`dpkg-query: no packages found matching ${name}\n`);
      code = 1;
      continue;
    }
    // The dpkg selection of a held package is "hold" (what apt-mark hold sets): desired action h
    // in db:Status-Abbrev ("hi "), "hold" in db:Status-Want and first in Status (dpkg-query(1)).
    const held = state.packages.held.includes(name);
    process.stdout.write(
      format
        .replace(/\$\{Package\}/g, name)
        .replace(/\$\{Version\}/g, version)
        .replace(/\$\{Status\}/g, held ? 'hold ok installed' : 'install ok installed')
        .replace(/\$\{db:Status-Abbrev\}/g, held ? 'hi ' : 'ii ')
        .replace(/\$\{db:Status-Want\}/g, held ? 'hold' : 'install')
        .replace(/\\n/g, '\n')
        .replace(/\\t/g, '\t'),
    );
  }
  return code;
}

export { k8sRepoUrl, crioRepoUrl };
