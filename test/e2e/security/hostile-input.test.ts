/**
 * Hostile or broken input, as a table: every case exits 2 with a message naming the field or the
 * file, prints no stack trace, and opens no SSH session — the hosts are nodes of a started fleet,
 * whose sshd records every session, so "refused before any SSH" is observed, not assumed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fleetAvailability, startFleet, type Fleet } from '../../fleet/fleet.js';
import { runCli } from '../../helpers/fake-io.js';

const HOSTILE = resolve(import.meta.dirname, '../../fixtures/hostile');
const haveFleet = fleetAvailability().ok;
if (!haveFleet) console.warn('[note] simulated fleet unavailable: hostile-input cases run against addresses nobody listens on');

let fleet: Fleet | undefined;
let cwd: string;
let keyPath: string;
let cpAddress = '127.0.251.1';
let workerAddress = '127.0.251.2';

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'k8sb-hostile-'));
  if (haveFleet) {
    fleet = await startFleet({ nodes: [{ name: 'cp-1', role: 'control-plane' }, { name: 'worker-1', role: 'worker' }] });
    cpAddress = fleet.node('cp-1').address;
    workerAddress = fleet.node('worker-1').address;
    keyPath = join(cwd, 'id_fleet');
    copyFileSync(fleet.privateKeyPath, keyPath);
    chmodSync(keyPath, 0o600);
  } else {
    keyPath = join(cwd, 'id_none');
    writeFileSync(keyPath, '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n', { mode: 0o600 });
  }
  // Generated here rather than stored: large or deep documents.
  const yamlHead = 'apiVersion: k8s-bootstrap.io/v1alpha1\nkind: Cluster\nname: lab\n';
  writeFileSync(join(cwd, 'huge.yaml'), `${yamlHead}padding: "${'x'.repeat(2 * 1024 * 1024)}"\n`);
  writeFileSync(join(cwd, 'deep.yaml'), `${yamlHead}provider: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
  const staticHead = `${yamlHead}provider:\n  name: static\n  hosts:\n    - address: 192.0.2.10\n      role: control-plane\n`;
  writeFileSync(join(cwd, 'deep-map.yaml'), `${staticHead}network:\n${Array.from({ length: 400 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} x\n`);
  writeFileSync(join(cwd, 'empty.yaml'), '');
  writeFileSync(join(cwd, 'latin1.yaml'), Buffer.concat([Buffer.from(`${yamlHead}provider: {name: static}\n# caf`), Buffer.from([0xe9]), Buffer.from('\n')]));
}, 60_000);

afterAll(() => {
  fleet?.stop();
  rmSync(cwd, { recursive: true, force: true });
});

/** [name, cluster.yaml text, what stderr must show]: the files the review fed to the tool. */
const HEAD = 'apiVersion: k8s-bootstrap.io/v1alpha1\nkind: Cluster\n';
const STATIC = (hosts: string, extra = '') => `${HEAD}name: lab\nprovider:\n  name: static\n  hosts:\n${hosts}${extra}`;
const HOST = (fields: string) => `    - ${fields.split('\n').join('\n      ')}\n`;
const CP = HOST('address: 192.0.2.10\nrole: control-plane');
const AWS = (extra: string, provider = '') => `${HEAD}name: lab\nprovider:\n  name: aws\n  region: eu-west-1\n${provider}ssh:\n  adminCidrs: [203.0.113.0/24]\n${extra}`;
const REVIEW_CASES: Array<[string, string, RegExp[]]> = [
  ['name "demo;rm -rf /"', STATIC(CP).replace('name: lab', 'name: "demo;rm -rf /"'), [/^Error:[\s\S]*name: must be a DNS-1123 label/m, /demo;rm -rf \//, /use "demo-rm-rf"/]],
  ['name "../../etc"', STATIC(CP).replace('name: lab', 'name: ../../etc'), [/name: must be a DNS-1123 label/, /use "etc"/]],
  ['name "demo\\n"', STATIC(CP).replace('name: lab', 'name: "demo\\n"'), [/name: must be a DNS-1123 label/]],
  ['address "127.0.0.1\\n"', STATIC(HOST('address: "127.0.0.1\\n"\nrole: control-plane')), [/provider\.hosts\[0\]\.address: must be an IPv4 address or a DNS name/]],
  ['address "-oProxyCommand=touch x"', STATIC(HOST('address: "-oProxyCommand=touch x"\nrole: control-plane')), [/provider\.hosts\[0\]\.address/]],
  ['address "$(id).example.com"', STATIC(HOST('address: "$(id).example.com"\nrole: control-plane')), [/provider\.hosts\[0\]\.address/]],
  ['ssh.user "root -oProxyCommand=x"', STATIC(CP, 'ssh:\n  user: "root -oProxyCommand=x"\n'), [/ssh\.user: must be a Linux user name/]],
  ['host user "-oFoo"', STATIC(HOST('address: 192.0.2.10\nrole: control-plane\nuser: "-oFoo"')), [/provider\.hosts\[0\]\.user: must be a Linux user name/]],
  ['host name "--help"', STATIC(HOST('address: 192.0.2.10\nrole: control-plane\nname: "--help"')), [/provider\.hosts\[0\]\.name: must be a DNS-1123 label/]],
  ['host name "cp-1\\nfoo"', STATIC(HOST('address: 192.0.2.10\nrole: control-plane\nname: "cp-1\\nfoo"')), [/provider\.hosts\[0\]\.name/]],
  ['privateAddress "10.0.0.1 --foo"', STATIC(HOST('address: 192.0.2.10\nrole: control-plane\nprivateAddress: "10.0.0.1 --foo"')), [/privateAddress: is not an IPv4 address/]],
  ['virtualIp "127.0.0.9 x"', STATIC(CP, '  virtualIp: "127.0.0.9 x"\n'), [/provider\.virtualIp/, /not an IPv4 address/]],
  ['apiEndpoint "x.example.com:6443/../"', STATIC(CP, '  apiEndpoint: "x.example.com:6443/../"\n'), [/provider\.apiEndpoint: must be HOST:PORT/]],
  ['kubernetes.version "1.36.2; curl x|sh"', STATIC(CP, 'kubernetes:\n  version: "1.36.2; curl x|sh"\n'), [/kubernetes\.version: is not a Kubernetes version/]],
  ['exoscale zone \'ch-gva-2"; }\'', `${HEAD}name: lab\nprovider:\n  name: exoscale\n  zone: 'ch-gva-2"; }'\nssh:\n  adminCidrs: [203.0.113.0/24]\n`, [/provider\.zone: may contain only letters, digits/]],
  ['controlPlane.type \'t3.medium"}\'', AWS('controlPlane:\n  type: \'t3.medium"}\'\n'), [/controlPlane\.type: may contain only/]],
  ['openstack cloud "prod --os-password x"', `${HEAD}name: lab\nprovider:\n  name: openstack\n  region: RegionOne\n  cloud: "prod --os-password x"\nssh:\n  adminCidrs: [203.0.113.0/24]\n`, [/provider\.cloud: may contain only/]],
  ['availability zone with a newline', AWS('', '  availabilityZones: ["eu-west-1a\\n"]\n'), [/provider\.availabilityZones\[0\]/]],
  ['exoscale baseTemplate with ${file(...)}', `${HEAD}name: lab\nprovider:\n  name: exoscale\n  zone: ch-gva-2\n  baseTemplate: 'Ubuntu \${file("/etc/passwd")}'\nssh:\n  adminCidrs: [203.0.113.0/24]\n`, [/provider\.baseTemplate: may contain only letters, digits, spaces/]],
  ['openstack externalNetwork with a backtick', `${HEAD}name: lab\nprovider:\n  name: openstack\n  region: RegionOne\n  cloud: mycloud\n  externalNetwork: "public\`id\`"\nssh:\n  adminCidrs: [203.0.113.0/24]\n`, [/provider\.externalNetwork: may contain only/]],
  ['image.id "ami-1; rm"', AWS('image:\n  id: "ami-1; rm"\n'), [/image\.id: may contain only letters, digits/]],
  ['backend.key "a b"', AWS('terraform:\n  backend: { bucket: state, region: eu-west-1, key: "a b" }\n'), [/terraform\.backend\.key: may contain only/]],
  ['backend.endpoint with $(id)', AWS('terraform:\n  backend: { bucket: state, region: eu-west-1, endpoint: "https://x/?a=$(id)" }\n'), [/terraform\.backend\.endpoint: must be an https:\/\/ URL/]],
  ['backend.endpoint over plain http', AWS('terraform:\n  backend: { bucket: state, region: eu-west-1, endpoint: "http://sos-ch-gva-2.exo.io" }\n'), [/terraform\.backend\.endpoint: must be an https:\/\/ URL/, /clear text/]],
  ['bastion.host "-oProxyCommand=id"', AWS('').replace('ssh:\n', 'ssh:\n  bastion: { host: "-oProxyCommand=id" }\n'), [/ssh\.bastion\.host/]],
  ['bastion.user "x y"', AWS('').replace('ssh:\n', 'ssh:\n  bastion: { host: 198.51.100.7, user: "x y" }\n'), [/ssh\.bastion\.user: must be a Linux user name/]],
  ['ssh.privateKey "/k\\nx"', STATIC(CP, 'ssh:\n  privateKey: "/k\\nx"\n'), [/ssh\.privateKey: must be a file path without control characters/]],
  ['adminCidrs ["203.0.113.7"] (an address)', AWS('').replace('[203.0.113.0/24]', '["203.0.113.7"]'), [/ssh\.adminCidrs\[0\]: is an address, not a CIDR/, /203\.0\.113\.7\/32/]],
  ['adminCidrs ["10.0.0.1/8"] (host bits)', AWS('').replace('[203.0.113.0/24]', '["10.0.0.1/8"]'), [/ssh\.adminCidrs\[0\]: has host bits set/, /use 10\.0\.0\.0\/8/]],
  ['a !!binary tag', STATIC(CP).replace('name: lab', 'name: !!binary ZGVtbw=='), [/name: must be a string/]],
  ['duplicate name keys', `${STATIC(CP)}name: other\n`, [/Map keys must be unique/]],
  ['__proto__ key', `${STATIC(CP)}__proto__: { polluted: true }\n`, [/__proto__: is not a known field/]],
  ['a YAML merge key', `${HEAD}name: lab\nbase: &b { name: static }\nprovider:\n  <<: *b\n`, [/provider: pass --provider|provider\.name: is required/]],
  ['a complex key', `${STATIC(CP)}? [a, b]\n: x\n`, [/uses a list, mapping or alias as a key/]],
];

/** Writes a review case to its own file; its name in every message is the file's. */
function writeCase(name: string, yaml: string): string {
  const path = join(cwd, `review-${REVIEW_CASES.findIndex(([n]) => n === name)}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

function fifoPath(): string {
  const path = join(cwd, 'pipe.yaml');
  if (!existsSync(path)) execFileSync('mkfifo', [path]);
  return path;
}

interface Case {
  name: string;
  /** Extra environment (K8SB_* values). */
  env?: Record<string, string>;
  /** Arguments after `init` (static provider defaults are added unless `raw`). */
  args: () => string[];
  /** What the message must contain: the field or file, and the offending value where useful. */
  expect: RegExp[];
}

const cp = (spec = '') => ['--control-plane-host', `${cpAddress},name=cp-1${spec}`];
const worker = () => ['--worker-host', `${workerAddress},name=worker-1`];
const base = (over: { name?: string; user?: string; key?: string; hosts?: string[] } = {}) => [
  '--name', over.name ?? 'hostile', '--provider', 'static',
  ...(over.hosts ?? [...cp(), ...worker()]),
  '--ssh-user', over.user ?? 'k8sb', '--ssh-key', over.key ?? keyPath, '--cni', 'flannel',
];
const config = (file: string) => () => ['--config', join(HOSTILE, file)];
const generated = (file: string) => () => ['--config', join(cwd, file)];

const CASES: Case[] = [
  // Broken or hostile files
  { name: 'malformed YAML', args: config('malformed.yaml'), expect: [/malformed\.yaml/, /YAML/] },
  { name: 'truncated file (unterminated string)', args: config('truncated.yaml'), expect: [/truncated\.yaml/] },
  { name: 'binary file', args: config('binary.yaml'), expect: [/binary\.yaml/, /binary data/] },
  { name: 'YAML bomb (billion laughs with aliases)', args: config('billion-laughs.yaml'), expect: [/billion-laughs\.yaml/, /alias/i] },
  { name: 'deeply nested flow sequences', args: generated('deep.yaml'), expect: [/deep\.yaml/] },
  { name: 'deeply nested mappings (400 levels)', args: generated('deep-map.yaml'), expect: [/network\.k0/] },
  { name: 'a 2 MiB file', args: generated('huge.yaml'), expect: [/huge\.yaml/, /larger than 1 MiB/] },
  { name: 'an empty file', args: generated('empty.yaml'), expect: [/empty\.yaml/, /empty/] },
  { name: 'several YAML documents', args: config('multi-document.yaml'), expect: [/multi-document\.yaml/, /documents/] },
  { name: 'a custom tag (!!js/function)', args: config('custom-tag.yaml'), expect: [/custom-tag\.yaml/] },
  { name: 'unknown keys', args: config('unknown-keys.yaml'), expect: [/rootPassword|versoin/] },
  { name: 'wrong types', args: config('wrong-types.yaml'), expect: [/\bname\b/, /provider\.hosts\[0\]\.port/, /kubernetes\.version/] },
  { name: 'a static host list with a duplicate address', args: config('duplicate-hosts.yaml'), expect: [/192\.0\.2\.21/, /hosts/] },
  // Injection attempts through flags
  { name: 'node name `a; rm -rf /`', args: () => base({ hosts: [...cp(), '--worker-host', `${workerAddress},name=a; rm -rf /`] }), expect: [/name/, /a; rm -rf \//] },
  { name: 'node name `$(reboot)` in --control-plane-host', args: () => base({ hosts: ['--control-plane-host', `${cpAddress},name=$(reboot)`, ...worker()] }), expect: [/name/, /\$\(reboot\)/] },
  { name: 'version `1.30.0 && curl x`', args: () => [...base(), '--kubernetes-version', '1.30.0 && curl x'], expect: [/version/i, /1\.30\.0 && curl x/] },
  { name: 'version with a newline', args: () => [...base(), '--kubernetes-version', '1.36.2\nreboot'], expect: [/version/i] },
  { name: 'ssh user with spaces and quotes', args: () => base({ user: "k8sb' ; id ; '" }), expect: [/user/i] },
  { name: 'ssh user `$(id)`', args: () => base({ user: '$(id)' }), expect: [/user/i, /\$\(id\)/] },
  { name: 'host address `$(id)`', args: () => base({ hosts: [...cp(), '--worker-host', '$(id),name=worker-1'] }), expect: [/address|host/i, /\$\(id\)/] },
  { name: 'host address with a backtick', args: () => base({ hosts: [...cp(), '--worker-host', '`id`'] }), expect: [/address|host/i] },
  { name: 'private address with injection', args: () => base({ hosts: [...cp(), '--worker-host', `${workerAddress},private=10.0.0.1;id,name=worker-1`] }), expect: [/private/i] },
  { name: 'pod CIDR with injection', args: () => [...base(), '--pod-cidr', '10.244.0.0/16; reboot'], expect: [/pod/i, /10\.244\.0\.0\/16; reboot/] },
  { name: 'service CIDR with `$(…)`', args: () => [...base(), '--service-cidr', '$(curl x)/12'], expect: [/service/i] },
  { name: 'virtual IP with injection', args: () => [...base({ hosts: [...cp(), '--control-plane-host', `${workerAddress},name=cp-2`, '--control-plane-host', '127.0.251.9,name=cp-3'] }), '--virtual-ip', '127.0.0.1 || reboot'], expect: [/virtual|ip/i] },
  { name: 'API endpoint with injection', args: () => [...base(), '--api-endpoint', 'api.example.com:6443;id'], expect: [/endpoint/i] },
  { name: '--name with uppercase', args: () => base({ name: 'Prod' }), expect: [/name/, /Prod/] },
  { name: '--name with unicode', args: () => base({ name: 'prød' }), expect: [/name/, /prød/] },
  { name: '--name with a path', args: () => base({ name: '../../etc' }), expect: [/name/] },
  { name: 'a static host list with duplicate names', args: () => base({ hosts: [...cp(), '--worker-host', `${workerAddress},name=cp-1`] }), expect: [/cp-1/, /name|duplicate/i] },
  { name: 'ssh port that is not a number', args: () => base({ hosts: [...cp(',port=22;id'), ...worker()] }), expect: [/port/i] },
  { name: 'key path with a newline', args: () => base({ key: `${cwd}/id_fleet\nProxyCommand=reboot` }), expect: [/ssh.*key|key/i] },
  { name: 'concurrency that is not a number', args: () => [...base(), '--concurrency', '4; reboot'], expect: [/concurrency/] },
  // The inputs the security review (../shared/reviews/security.md, "Hostile inputs") tried, each as a file.
  ...REVIEW_CASES.map(([name, yaml, expect]) => ({ name: `review: ${name}`, args: () => ['--config', writeCase(name, yaml)], expect })),
  { name: 'review: --ssh-key with a newline', args: () => base({ key: '/a\nb' }), expect: [/ssh\.privateKey|--ssh-key/, /control characters/] },
  { name: 'review: K8SB_ADMIN_CIDRS with $(id)', args: () => ['--name', 'lab', '--provider', 'aws', '--region', 'eu-west-1'], env: { K8SB_ADMIN_CIDRS: '203.0.113.0/24,$(id)' }, expect: [/ssh\.adminCidrs/, /not an IPv4 CIDR/] },
  { name: 'review: /dev/zero as --config', args: () => ['--config', '/dev/zero'], expect: [/\/dev\/zero/, /not a regular file \(a device\)/] },
  { name: 'review: /dev/urandom as --config', args: () => ['--config', '/dev/urandom'], expect: [/\/dev\/urandom/, /not a regular file/] },
  { name: 'a named pipe as --config (would block in open())', args: () => ['--config', fifoPath()], expect: [/pipe\.yaml/, /not a regular file \(a named pipe\)/] },
  { name: 'invalid UTF-8', args: generated('latin1.yaml'), expect: [/latin1\.yaml/, /UTF-8/] },
];

describe('hostile input is refused with exit 2, a clear message, and no SSH session', () => {
  it('has at least 20 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const before = fleet ? fleet.allCommands().length : 0;
      const dir = join(cwd, `dir-${CASES.indexOf(c)}`);
      const result = await runCli(['--dir', dir, '--yes', '--output', 'plain', 'init', ...c.args()], { cwd, env: { HOME: cwd, ...c.env } });
      const shown = `exit ${result.code}\n${result.stderr}`;
      if (process.env.K8SB_SHOW_HOSTILE) console.log(`### ${c.name}\n${result.stderr}`);
      expect(result.code, shown).toBe(2);
      for (const pattern of c.expect) expect(result.stderr, shown).toMatch(pattern);
      expect(result.stderr, shown).not.toMatch(/Unexpected error|\n\s+at .+:\d+:\d+\)?/);
      expect(result.stderr.length, shown).toBeLessThan(20_000);
      if (fleet) expect(fleet.allCommands().slice(before)).toEqual([]);
      // Nothing was created for a refused spec either: not even the cluster folder.
      expect(existsSync(dir), `${dir} was created`).toBe(false);
    }, 30_000);
  }
});
