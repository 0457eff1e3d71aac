// apt-get, apt-mark, apt-cache and dpkg-query over the node's simulated package database.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fail, flagValue, isRoot, nodeState, parseArgs, updateNodeState } from './context.mjs';
import {
  availableVersions,
  compareVersions,
  crioRepoUrl,
  k8sRepoUrl,
  knownPackage,
  matchesPin,
  PACKAGE_SERVICES,
} from './packages.mjs';

const LISTS_DIR = '/etc/apt/sources.list.d';

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

function aptGet(argv) {
  const { flags, positional } = parseArgs(argv, { withValue: ['o', 'option', 'c', 't', 'target-release'] });
  const [command, ...packages] = positional;
  switch (command) {
    case 'update':
      return aptUpdate();
    case 'install':
      return aptInstall(flags, packages);
    case 'remove':
    case 'purge':
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

/** Reads the .list files: which pkgs.k8s.io / CRI-O minors are configured, and their keyrings. */
function readSourceLists() {
  const repos = [];
  if (!existsSync(LISTS_DIR)) return repos;
  for (const file of readdirSync(LISTS_DIR).filter((name) => name.endsWith('.list'))) {
    for (const raw of readFileSync(`${LISTS_DIR}/${file}`, 'utf8').split('\n')) {
      const line = raw.trim();
      if (!line.startsWith('deb ')) continue;
      const signedBy = /signed-by=([^\s\]]+)/.exec(line)?.[1];
      const url = /(https?:\/\/\S+)/.exec(line)?.[1] ?? '';
      const k8s = /^https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v(\d+\.\d+)\/deb\/?$/.exec(url);
      const crio = /^https:\/\/download\.opensuse\.org\/repositories\/isv:\/cri-o:\/stable:\/v(\d+\.\d+)\/deb\/?$/.exec(url);
      repos.push({ url: url.replace(/\/$/, ''), signedBy, kind: k8s ? 'kubernetes' : crio ? 'crio' : 'other', minor: (k8s ?? crio)?.[1] });
    }
  }
  return repos;
}

function aptUpdate() {
  if (!isRoot()) {
    fail(100, 'Reading package lists...\nE: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)\nE: Unable to lock directory /var/lib/apt/lists/');
  }
  const lines = ['Hit:1 http://deb.debian.org/debian bookworm InRelease'];
  const errors = [];
  const lists = { kubernetes: null, crio: null };
  let counter = 2;
  for (const repo of readSourceLists()) {
    const number = counter++;
    if (repo.kind === 'other') {
      lines.push(`Ign:${number} ${repo.url}  InRelease`);
      continue;
    }
    if (repo.kind === 'kubernetes' && !(fleetCatalogueHas(repo.minor))) {
      lines.push(`Err:${number} ${repo.url}  InRelease`, '  403  Forbidden [IP: 127.0.0.1 443]');
      errors.push(`E: Failed to fetch ${repo.url}/InRelease  403  Forbidden [IP: 127.0.0.1 443]`, `E: The repository '${repo.url}  InRelease' is not signed.`);
      continue;
    }
    if (!repo.signedBy || !existsSync(repo.signedBy) || !readFileSync(repo.signedBy).includes('K8SB-FLEET-KEY')) {
      lines.push(`Get:${number} ${repo.url}  InRelease [1,186 B]`, `Err:${number} ${repo.url}  InRelease`);
      lines.push('  The following signatures couldn\'t be verified because the public key is not available: NO_PUBKEY 234654DA9A296436');
      errors.push(`E: The repository '${repo.url}  InRelease' is not signed.`);
      continue;
    }
    lines.push(`Get:${number} ${repo.url}  InRelease [1,186 B]`, `Get:${counter++} ${repo.url}  Packages [4,865 B]`);
    lists[repo.kind] = repo.minor;
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
  return Boolean(availableVersions('kubeadm', { kubernetes: minor, crio: null }).length);
}

function aptInstall(flags, specs) {
  requireDpkgLock();
  if (specs.length === 0) fail(100, 'E: No packages found');
  const state = nodeState();
  const lists = state.apt.lists;
  const plan = [];
  for (const spec of specs) {
    const [name, pin] = spec.split(/=(.*)/);
    const versions = availableVersions(name, lists);
    if (!knownPackage(name, lists)) fail(100, `Reading package lists...\nBuilding dependency tree...\nReading state information...\nE: Unable to locate package ${name}`);
    const candidates = pin === undefined ? versions : versions.filter((entry) => matchesPin(entry.version, pin));
    if (candidates.length === 0) fail(100, `Reading package lists...\nBuilding dependency tree...\nReading state information...\nE: Version '${pin}' for '${name}' was not found`);
    plan.push({ name, version: candidates[0].version, current: state.packages.installed[name] ?? null });
  }
  const changes = plan.filter((entry) => entry.current !== entry.version);
  const header = ['Reading package lists...', 'Building dependency tree...', 'Reading state information...'];
  for (const entry of plan.filter((item) => item.current === item.version)) {
    header.push(`${entry.name} is already the newest version (${entry.version}).`);
  }
  const held = changes.filter((entry) => entry.current && state.packages.held.includes(entry.name));
  const downgraded = changes.filter((entry) => entry.current && compareVersions(entry.version, entry.current) < 0);
  const fresh = changes.filter((entry) => !entry.current);
  const upgraded = changes.filter((entry) => entry.current && compareVersions(entry.version, entry.current) > 0);
  if (held.length > 0) header.push('The following held packages will be changed:', `  ${held.map((entry) => entry.name).join(' ')}`);
  if (fresh.length > 0) header.push('The following NEW packages will be installed:', `  ${fresh.map((entry) => entry.name).join(' ')}`);
  if (upgraded.length > 0) header.push('The following packages will be upgraded:', `  ${upgraded.map((entry) => entry.name).join(' ')}`);
  if (downgraded.length > 0) header.push('The following packages will be DOWNGRADED:', `  ${downgraded.map((entry) => entry.name).join(' ')}`);
  header.push(`${upgraded.length} upgraded, ${fresh.length} newly installed, ${downgraded.length} downgraded, 0 to remove and 0 not upgraded.`);
  if (held.length > 0 && !flags['allow-change-held-packages']) {
    fail(100, `${header.join('\n')}\nE: Held packages were changed and -y was used without --allow-change-held-packages.`);
  }
  if (downgraded.length > 0 && !flags['allow-downgrades']) {
    fail(100, `${header.join('\n')}\nE: Packages were downgraded and -y was used without --allow-downgrades.`);
  }
  if (changes.length > 0 && !flags.y && !flags.yes && !flags['assume-yes'] && !Array.isArray(flags.q)) {
    fail(1, `${header.join('\n')}\nDo you want to continue? [Y/n] Abort.`);
  }
  updateNodeState((next) => {
    for (const entry of changes) {
      next.packages.installed[entry.name] = entry.version;
      const service = PACKAGE_SERVICES[entry.name];
      if (service && !entry.current) {
        next.services[service.service] = { enabled: service.enable, running: service.start };
        if (service.service === 'kubelet') next.kubelet = { runningVersion: entry.version, startedAt: new Date().toISOString() };
      }
    }
  });
  for (const entry of fresh) packageFiles(entry.name);
  const body = changes.map((entry) => `Setting up ${entry.name} (${entry.version}) ...`);
  process.stdout.write(`${[...header, ...body].join('\n')}\n`);
  return 0;
}

/** Files a package ships that an installer may look at or edit. */
function packageFiles(name) {
  if (name === 'containerd.io' && !existsSync('/etc/containerd/config.toml')) {
    // Docker's package ships a config that disables the CRI plugin (kubeadm's preflight then fails).
    writeFileSync('/etc/containerd/config.toml', '#   Copyright 2018-2022 Docker Inc.\n\ndisabled_plugins = ["cri"]\n');
  }
  if (name === 'haproxy' && !existsSync('/etc/haproxy/haproxy.cfg')) {
    writeFileSync('/etc/haproxy/haproxy.cfg', 'global\n\tlog /dev/log\tlocal0\n\tdaemon\n\ndefaults\n\tmode\thttp\n\ttimeout connect 5000\n');
  }
}

function aptRemove(flags, names) {
  requireDpkgLock();
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
    process.stdout.write(`Package: ${name}\nStatus: install ok installed\nVersion: ${version}\n`);
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
    process.stdout.write(
      format
        .replace(/\$\{Package\}/g, name)
        .replace(/\$\{Version\}/g, version)
        .replace(/\$\{Status\}/g, 'install ok installed')
        .replace(/\$\{db:Status-Abbrev\}/g, 'ii ')
        .replace(/\\n/g, '\n')
        .replace(/\\t/g, '\t'),
    );
  }
  return code;
}

export { k8sRepoUrl, crioRepoUrl };
