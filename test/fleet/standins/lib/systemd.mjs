// systemctl and journalctl for the services an installer manages.
import { existsSync, readFileSync } from 'node:fs';
import { apiState, fail, isRoot, nodeState, parseArgs, recordHistory, thisNode, updateApi, updateNodeState, upstreamVersion } from './context.mjs';
import { apiNodeOfHost, kubeletStatus, readiness } from './cluster.mjs';
import { serviceInstalled } from './packages.mjs';
import { effectiveConfig, installedContainerd } from './containerd.mjs';

const DESCRIPTIONS = {
  kubelet: 'kubelet: The Kubernetes Node Agent',
  containerd: 'containerd container runtime',
  crio: 'Container Runtime Interface for OCI (CRI-O)',
  docker: 'Docker Application Container Engine',
  haproxy: 'HAProxy Load Balancer',
  keepalived: 'Keepalive Daemon (LVS and VRRP)',
};

export async function run(tool, argv) {
  return tool === 'systemctl' ? systemctl(argv) : journalctl(argv);
}

const unitName = (unit) => unit.replace(/\.service$/, '');

function status(service) {
  const state = nodeState();
  if (!serviceInstalled(service, state.packages.installed)) return { found: false, active: 'inactive', enabled: null };
  if (service === 'kubelet') {
    const kubelet = kubeletStatus(thisNode().name);
    return { found: true, active: kubelet.state, enabled: Boolean(state.services.kubelet?.enabled) };
  }
  const entry = state.services[service] ?? {};
  return { found: true, active: entry.running ? 'active' : entry.failed ? 'failed' : 'inactive', enabled: Boolean(entry.enabled) };
}

function systemctl(argv) {
  const { flags, positional } = parseArgs(argv);
  const [command, ...units] = positional;
  const services = units.map(unitName);
  const mutating = ['daemon-reload', 'enable', 'disable', 'start', 'stop', 'restart', 'reload', 'try-restart', 'reset-failed', 'mask', 'unmask'];
  if (mutating.includes(command) && !isRoot()) {
    const what = { 'daemon-reload': 'Failed to reload daemon', enable: 'Failed to enable unit', disable: 'Failed to disable unit' }[command];
    fail(1, what ? `${what}: Interactive authentication required.` : `Failed to ${command} ${units[0]}.service: Interactive authentication required.\nSee system logs and 'systemctl status ${units[0]}.service' for details.`);
  }
  switch (command) {
    case 'daemon-reload':
    case 'reset-failed':
      return 0;
    case 'enable':
    case 'disable': {
      for (const service of services) {
        if (!status(service).found) fail(1, `Failed to ${command} unit: Unit file ${service}.service does not exist.`);
      }
      // As systemd: a symlink is created (and named) only for a unit that was not enabled yet;
      // enabling an enabled unit prints nothing.
      const newlyEnabled = command === 'enable' ? services.filter((service) => !status(service).enabled) : [];
      updateNodeState((state) => {
        for (const service of services) state.services[service] = { ...state.services[service], enabled: command === 'enable' };
      });
      if (newlyEnabled.length > 0) process.stderr.write(newlyEnabled.map((s) => `Created symlink /etc/systemd/system/multi-user.target.wants/${s}.service → /lib/systemd/system/${s}.service.\n`).join(''));
      if (flags.now) return startStop(command === 'enable' ? 'start' : 'stop', services);
      return 0;
    }
    case 'start':
    case 'stop':
    case 'restart':
    case 'reload':
    case 'try-restart':
      return startStop(command === 'reload' || command === 'try-restart' ? 'restart' : command, services);
    case 'is-active': {
      let code = 0;
      for (const service of services) {
        const active = status(service).active;
        if (!flags.quiet && !flags.q) process.stdout.write(`${active}\n`);
        if (active !== 'active') code = 3;
      }
      return code;
    }
    case 'is-enabled': {
      let code = 0;
      for (const service of services) {
        const current = status(service);
        if (!current.found) {
          process.stderr.write(`Failed to get unit file state for ${service}.service: No such file or directory\n`);
          code = 1;
          continue;
        }
        if (!flags.quiet && !flags.q) process.stdout.write(`${current.enabled ? 'enabled' : 'disabled'}\n`);
        if (!current.enabled) code = 1;
      }
      return code;
    }
    case 'status': {
      const service = services[0];
      const current = status(service);
      if (!current.found) fail(4, `Unit ${service}.service could not be found.`);
      const since = current.active === 'active' ? 'active (running)' : current.active === 'activating' ? 'activating (auto-restart) (Result: exit-code)' : current.active;
      process.stdout.write(
        `● ${service}.service - ${DESCRIPTIONS[service] ?? service}\n     Loaded: loaded (/lib/systemd/system/${service}.service; ${current.enabled ? 'enabled' : 'disabled'}; preset: enabled)\n     Active: ${since}\n`,
      );
      return current.active === 'active' ? 0 : 3;
    }
    default:
      fail(1, `Unknown command verb ${command ?? ''}.`);
  }
}

function startStop(action, services) {
  for (const service of services) {
    if (!status(service).found) {
      const verb = action === 'stop' ? 'stop' : action;
      fail(5, `Failed to ${verb} ${service}.service: Unit ${service}.service ${action === 'stop' ? 'not loaded' : 'not found'}.`);
    }
    if (action !== 'stop') {
      const problem = startProblem(service);
      if (problem) {
        updateNodeState((state) => {
          state.services[service] = { ...state.services[service], running: false, failed: true, lastError: problem };
        });
        fail(
          1,
          `Job for ${service}.service failed because the control process exited with error code.\nSee "systemctl status ${service}.service" and "journalctl -xeu ${service}.service" for details.`,
        );
      }
    }
  }
  const containerd = services.includes('containerd') && action !== 'stop' ? effectiveConfig(installedContainerd()) : null;
  const state = updateNodeState((next) => {
    for (const service of services) {
      next.services[service] = { ...next.services[service], running: action !== 'stop', failed: false, lastError: undefined };
      // What the CRI plugin runs with until the next restart (kubelet, pods and kubeadm read it).
      if (service === 'containerd' && containerd) next.runtime = { kind: 'containerd', ...containerd };
      if (service === 'kubelet' && action !== 'stop') next.kubelet = { runningVersion: next.packages.installed.kubelet, startedAt: new Date().toISOString() };
    }
    return next;
  });
  if (services.includes('kubelet') && action !== 'stop') reportKubeletVersion(state.kubelet.runningVersion);
  return 0;
}

/** A (re)started kubelet reports its own version on its Node object. */
function reportKubeletVersion(packageVersion) {
  const api = apiState();
  if (!apiNodeOfHost(api)) return;
  updateApi((next) => {
    const node = apiNodeOfHost(next);
    if (!node) return;
    const version = `v${upstreamVersion(packageVersion)}`;
    if (node.kubeletVersion !== version) recordHistory(next, 'kubelet-restart', { from: node.kubeletVersion, to: version });
    node.kubeletVersion = version;
  });
}

function startProblem(service) {
  if (service === 'containerd') {
    const build = installedContainerd();
    const config = build && effectiveConfig(build);
    if (config && !config.ok) return config.error;
  }
  if (service === 'haproxy') {
    const config = existsSync('/etc/haproxy/haproxy.cfg') ? readFileSync('/etc/haproxy/haproxy.cfg', 'utf8') : '';
    // The API server owns 6443 on a control plane (kubeadm ha-considerations).
    if (/^\s*bind\s+\S*:6443\b/m.test(config)) return '[ALERT] (1) : Starting frontend apiserver: cannot bind socket (Address already in use) [0.0.0.0:6443]';
  }
  if (service === 'keepalived' && !existsSync('/etc/keepalived/keepalived.conf')) {
    return 'Configuration file /etc/keepalived/keepalived.conf is not a regular non-executable file';
  }
  return null;
}

function journalctl(argv) {
  const { flags } = parseArgs(argv, { withValue: ['u', 'unit', 'n', 'lines', 'since', 'until', 'o', 'output'] });
  const unit = unitName(String(flags.u ?? flags.unit ?? ''));
  const count = Number(flags.n ?? flags.lines ?? 10) || 10;
  if (!isRoot()) {
    process.stdout.write(
      "Hint: You are currently not seeing messages from other users and the system.\n      Users in groups 'adm', 'systemd-journal' can see all messages.\n      Pass -q to turn off this notice.\n-- No entries --\n",
    );
    return 0;
  }
  const lines = journalLines(unit);
  const stamp = new Date().toUTCString().slice(5, 25);
  const host = thisNode().name;
  process.stdout.write(lines.length === 0 ? '-- No entries --\n' : `${lines.slice(-count).map((line) => `${stamp} ${host} ${line}`).join('\n')}\n`);
  return 0;
}

function journalLines(unit) {
  const state = nodeState();
  if (unit === 'kubelet') {
    const kubelet = kubeletStatus(thisNode().name);
    if (!kubelet.unitFound) return [];
    if (kubelet.state === 'inactive') return ['systemd[1]: kubelet.service: Deactivated successfully.'];
    if (kubelet.state === 'activating') {
      return [
        `kubelet[4242]: E1123 ${kubelet.message}`,
        'systemd[1]: kubelet.service: Main process exited, code=exited, status=1/FAILURE',
        "systemd[1]: kubelet.service: Failed with result 'exit-code'.",
      ];
    }
    const api = apiState();
    const node = apiNodeOfHost(api);
    if (!node) return ['kubelet[4242]: I1123 "Attempting to register node"', 'kubelet[4242]: E1123 "Unable to register node with API server" err="Unauthorized"'];
    const ready = readiness(api, node);
    if (!ready.ready) return [`kubelet[4242]: E1123 "Container runtime network not ready" networkReady="${ready.message}"`, `kubelet[4242]: E1123 "Error syncing pod, skipping" err="network is not ready: ${ready.message}"`];
    return [`kubelet[4242]: I1123 "Successfully registered node" node="${node.name}"`, `kubelet[4242]: I1123 "Node became ready" node="${node.name}"`];
  }
  const entry = state.services[unit];
  if (!entry) return [];
  if (entry.lastError) return [`${unit}[777]: ${entry.lastError}`, `systemd[1]: ${unit}.service: Failed with result 'exit-code'.`];
  return [`systemd[1]: ${entry.running ? 'Started' : 'Stopped'} ${unit}.service - ${DESCRIPTIONS[unit] ?? unit}.`];
}
