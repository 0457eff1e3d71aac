/**
 * API endpoint for static clusters with several control planes and no external load balancer:
 * keepalived holds a virtual IP, haproxy on every control plane spreads :8443 over the
 * apiservers' :6443 (kubeadm ha-considerations). haproxy must never bind 6443 on a control plane,
 * where kube-apiserver already listens on 0.0.0.0:6443. Endpoint = VIP:8443.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { ClusterSpec } from '../config/schema.js';
import { renderTemplate, templatePath } from '../tools/template.js';
import { API_SERVER_BIND_PORT } from './kubeadm-config.js';
import { APT_LOCK_WAIT } from './upgrade-commands.js';
import type { Argv } from './node-commands.js';
import { assertIp, assertNodeName } from './validate-remote.js';

export const HA_FRONTEND_PORT = 8443;
export const HAPROXY_CONFIG_PATH = '/etc/haproxy/haproxy.cfg';
export const KEEPALIVED_CONFIG_PATH = '/etc/keepalived/keepalived.conf';
export const CHECK_APISERVER_PATH = '/etc/keepalived/check_apiserver.sh';

export interface StaticHaInput {
  clusterName: string;
  vip: string;
  controlPlanes: Array<{ name: string; privateIp: string }>;
  /** The control plane these files are for. */
  self: string;
  /** Network interface holding the private IP (see detectInterfaceCommand). */
  interface: string;
  /** VRRP PASS authentication: at most 8 characters (generateVrrpPassword). */
  authPass: string;
  /** @default 8443 */
  frontendPort?: number;
}

export interface HaFile {
  path: string;
  content: string;
  mode: number;
}

/**
 * Whether keepalived + haproxy are this tool's to install: a static cluster of several control
 * planes, with a virtual IP and no external load balancer. The phases and the node steps ask here.
 */
export function needsStaticHa(provider: ClusterSpec['provider'], controlPlanes: number): boolean {
  return provider.name === 'static' && !provider.apiEndpoint && controlPlanes > 1 && Boolean(provider.virtualIp);
}

export function staticHaEndpoint(vip: string, port = HA_FRONTEND_PORT): string {
  assertIp(vip, 'provider.virtualIp');
  return vip.includes(':') ? `[${vip}]:${port}` : `${vip}:${port}`;
}

export function generateVrrpPassword(): string {
  return randomBytes(6).toString('base64url').slice(0, 8);
}

/** 1..255, stable per cluster, so two clusters on one subnet are unlikely to collide. */
export function virtualRouterIdFor(clusterName: string): number {
  return (createHash('sha256').update(clusterName).digest()[0]! % 255) + 1;
}

function render(file: string, values: Record<string, string>): string {
  return renderTemplate(readFileSync(templatePath('ha', file), 'utf8'), values, `ha/${file}`);
}

/** haproxy.cfg, keepalived.conf and check_apiserver.sh for one control plane. */
export function renderStaticHa(input: StaticHaInput): HaFile[] {
  const port = input.frontendPort ?? HA_FRONTEND_PORT;
  if (port === API_SERVER_BIND_PORT) {
    throw new UsageError('HaproxyPortConflict', `haproxy cannot listen on ${API_SERVER_BIND_PORT} on a control plane: kube-apiserver uses it.`, {
      hint: `Use another frontend port, e.g. ${HA_FRONTEND_PORT}.`,
    });
  }
  assertIp(input.vip, 'provider.virtualIp');
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(input.interface)) throw new UsageError('InvalidInterface', `Invalid network interface name ${JSON.stringify(input.interface)}`);
  if (!/^[A-Za-z0-9_-]{1,8}$/.test(input.authPass)) throw new UsageError('InvalidVrrpPassword', 'The VRRP password must be 1-8 letters, digits, "-" or "_".');
  for (const cp of input.controlPlanes) {
    assertNodeName(cp.name);
    assertIp(cp.privateIp, `private IP of ${cp.name}`);
  }
  const index = input.controlPlanes.findIndex((cp) => cp.name === input.self);
  if (index < 0) throw new UsageError('UnknownControlPlane', `${input.self} is not one of the control planes.`);
  const self = input.controlPlanes[index]!;

  const servers = input.controlPlanes
    .map((cp) => `    server ${cp.name} ${cp.privateIp}:${API_SERVER_BIND_PORT} check check-ssl verify none`)
    .join('\n');
  const peers = input.controlPlanes
    .filter((cp) => cp.name !== self.name)
    .map((cp) => `        ${cp.privateIp}`)
    .join('\n');
  const haproxy = render('haproxy.cfg', { frontendPort: String(port), servers });
  assertHaproxyAvoidsApiPort(haproxy);
  return [
    { path: HAPROXY_CONFIG_PATH, content: haproxy, mode: 0o644 },
    {
      path: KEEPALIVED_CONFIG_PATH,
      content: render('keepalived.conf', {
        routerId: self.name,
        instanceName: `K8SB_${input.clusterName.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`,
        state: index === 0 ? 'MASTER' : 'BACKUP',
        interface: input.interface,
        virtualRouterId: String(virtualRouterIdFor(input.clusterName)),
        priority: index === 0 ? '101' : '100',
        selfIp: self.privateIp,
        peers,
        authPass: input.authPass,
        vip: input.vip,
      }),
      mode: 0o600,
    },
    { path: CHECK_APISERVER_PATH, content: render('check_apiserver.sh', { frontendPort: String(port), vip: input.vip }), mode: 0o755 },
  ];
}

/** The ports an haproxy config binds. */
export function haproxyBindPorts(config: string): number[] {
  return [...config.matchAll(/^\s*bind\s+\S*?:(\d+)/gm)].map((match) => Number(match[1]));
}

export function assertHaproxyAvoidsApiPort(config: string): void {
  if (haproxyBindPorts(config).includes(API_SERVER_BIND_PORT)) {
    throw new UsageError('HaproxyPortConflict', `The haproxy config binds ${API_SERVER_BIND_PORT}, which kube-apiserver uses on a control plane.`);
  }
}

/** Prints the interface that holds `privateIp` (the default-route interface as a fallback). */
export function detectInterfaceCommand(privateIp: string): Argv {
  assertIp(privateIp);
  const script = [
    'ip -o addr show | awk -v ip="$1" \'{ split($4, a, "/"); if (a[1] == ip) { print $2; exit } }\' | grep . ||',
    "ip -o route show default | awk '{ for (i = 1; i < NF; i++) if ($i == \"dev\") { print $(i + 1); exit } }' | grep . ||",
    'echo lo',
  ].join(' ');
  return ['sh', '-c', script, 'sh', privateIp];
}

export function parseInterface(stdout: string): string {
  const name = stdout.trim().split('\n')[0]?.trim() ?? '';
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(name)) throw new UsageError('InvalidInterface', `Could not determine the network interface (got ${JSON.stringify(stdout)}).`);
  return name.replace(/@.*$/, '');
}

/**
 * Order on each control plane: packages first (their postinst starts the services with a stock
 * config), then install our files, then these restarts. Installing files first would make dpkg
 * ask about changed conffiles.
 */
export const staticHaPackages = (): Argv => ['apt-get', ...APT_LOCK_WAIT, 'install', '-y', 'haproxy', 'keepalived'];

export function staticHaStartCommands(): Argv[] {
  return [
    ['systemctl', 'enable', 'haproxy'],
    ['systemctl', 'enable', 'keepalived'],
    ['systemctl', 'restart', 'haproxy'],
    ['systemctl', 'restart', 'keepalived'],
  ];
}
