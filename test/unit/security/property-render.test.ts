/**
 * Property: random specs — built from the real fields, with hostile strings mixed in — go through
 * validateSpec. Invalid ones fail with ValidationError/UsageError only. Valid ones go through
 * describeInitPlan and the rendering of every node command init would send (kubeadm init/join
 * configs, node-commands builders, CNI plan, static-HA files and commands, script runs, file
 * installs), each turned into the command line the SSH layer sends: no crash, every line passes
 * the strict quoting check, and reading the line back as shell words gives the argv exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError, ValidationError } from '../../../src/errors.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import { nodeCounts } from '../../../src/config/validate/counts.js';
import { API_VERSION, DEFAULT_NETWORK, KIND, type ClusterSpec } from '../../../src/config/schema.js';
import { describeInitPlan } from '../../../src/workflows/init/plan.js';
import { inventoryFromSpec } from '../../../src/providers/index.js';
import { checkInventory } from '../../../src/providers/inventory-check.js';
import type { Inventory } from '../../../src/providers/inventory.js';
import { topologyFromInventory, allNodes, firstControlPlane } from '../../../src/nodes/topology.js';
import { defaultNodeName } from '../../../src/config/node-names.js';
import { parseCidr } from '../../../src/config/cidr.js';
import * as cmd from '../../../src/kube/node-commands.js';
import { renderInitConfig, renderJoinConfig, INIT_CONFIG_PATH, JOIN_CONFIG_PATH, UPLOAD_CERTS_CONFIG_PATH } from '../../../src/kube/kubeadm-config.js';
import { generateBootstrapToken, generateCertificateKey } from '../../../src/kube/join-material.js';
import { cniInstallPlan } from '../../../src/kube/cni.js';
import { detectInterfaceCommand, generateVrrpPassword, renderStaticHa, staticHaPackages, staticHaStartCommands } from '../../../src/kube/static-ha.js';
import { aptInstallPinned, aptMarkHold, aptMarkUnhold } from '../../../src/kube/upgrade-commands.js';
import { buildCommandLine } from '../../../src/tools/ssh/command.js';
import { isSafeCommandLine, quoteCommand } from '../../../src/tools/shell-quote.js';

const HOSTILE = [
  'a; rm -rf /', '$(reboot)', '`id`', "it's", '1.30.0 && curl x', '10.0.0.0/8; id', 'x\ny', 'Ünïcode', '../../etc/passwd',
  '', ' ', '-rf', '--config=/etc/shadow', '127.0.0.1,name=$(reboot)', '|nc 127.0.0.1 9', '"quoted"', '\\', '*', '~root',
];
const hostile = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }));
// Mostly good values, so that many specs are valid and reach the renderers; hostile ones now and then.
const pick = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 30, arbitrary: good }, { weight: 1, arbitrary: hostile as fc.Arbitrary<unknown> });
const octet = fc.integer({ min: 0, max: 255 });

const nodeName = pick(fc.constantFrom('cp-1', 'cp-2', 'cp-3', 'worker-1', 'worker-2', 'node-a', 'n1', 'edge-7'));
const address = pick(fc.oneof(fc.tuple(octet, octet).map(([a, b]) => `10.0.${a}.${b}`), fc.constantFrom('192.0.2.10', '192.0.2.11', '192.0.2.12', 'node-1.example.com')));
const version = pick(fc.constantFrom('1.35.0', '1.35.3', '1.36.0', '1.36.2', '1.37.0', '1.37.1', '1.34.9', '1.38.0', 'v1.36.2'));
const cidr = pick(fc.constantFrom('10.0.0.0/16', '10.0.0.0/24', '10.244.0.0/16', '192.168.0.0/16', '10.96.0.0/12', '172.16.0.0/20', '10.0.0.0/8'));
const user = pick(fc.constantFrom('ubuntu', 'k8sb', 'debian', '_svc', 'root'));

const staticHost = fc.record(
  { address, role: pick(fc.constantFrom('control-plane', 'worker')), name: nodeName, user, privateAddress: address, port: pick(fc.integer({ min: 1, max: 65535 })) },
  { requiredKeys: ['address', 'role'] },
);

/** A coherent static fleet (1 or 3 control planes, distinct names and addresses), with hostile fields mixed in. */
const coherentHosts = fc
  .tuple(fc.constantFrom(1, 3), fc.integer({ min: 0, max: 3 }), fc.array(fc.tuple(fc.nat(8), fc.constantFrom('name', 'address', 'user', 'privateAddress'), hostile), { maxLength: 1 }))
  .map(([cps, workers, mutations]) => {
    const hosts: Record<string, unknown>[] = [
      ...Array.from({ length: cps }, (_, i) => ({ address: `10.0.0.${10 + i}`, role: 'control-plane', name: `cp-${i + 1}` })),
      ...Array.from({ length: workers }, (_, i) => ({ address: `10.0.0.${20 + i}`, role: 'worker', name: `worker-${i + 1}`, user: 'ubuntu' })),
    ];
    for (const [index, field, value] of mutations) hosts[index % hosts.length]![field] = value;
    return hosts;
  });

const provider = fc.oneof(
  { weight: 4, arbitrary: fc.record({ name: fc.constant('static'), hosts: coherentHosts, virtualIp: pick(fc.constantFrom('10.0.0.200', '10.0.0.201')) }, { requiredKeys: ['name', 'hosts'] }) },
  { weight: 2, arbitrary: fc.record({ name: fc.constant('static'), hosts: fc.array(staticHost, { minLength: 1, maxLength: 6 }), virtualIp: address, apiEndpoint: pick(fc.constantFrom('api.example.com:6443', '192.0.2.50:6443')) }, { requiredKeys: ['name', 'hosts'] }) },
  { weight: 1, arbitrary: fc.record({ name: fc.constant('aws'), region: pick(fc.constantFrom('eu-west-1', 'us-east-1')) }, { requiredKeys: ['name'] }) },
  { weight: 1, arbitrary: fc.record({ name: fc.constant('exoscale'), zone: pick(fc.constantFrom('ch-gva-2', 'de-fra-1')) }, { requiredKeys: ['name'] }) },
  { weight: 1, arbitrary: fc.record({ name: fc.constant('openstack'), region: pick(fc.constantFrom('RegionOne')), externalNetwork: pick(fc.constantFrom('public', 'ext-net')) }, { requiredKeys: ['name'] }) },
);

const specDocument = fc.record(
  {
    apiVersion: fc.constant(API_VERSION),
    kind: fc.constant(KIND),
    name: pick(fc.constantFrom('demo', 'lab', 'prod-eu', 'a', 'x1')),
    provider,
    kubernetes: fc.record({ version, runtime: pick(fc.constantFrom('containerd', 'cri-o')), cni: pick(fc.constantFrom('calico', 'flannel', 'cilium')) }, { requiredKeys: [] }),
    network: fc.oneof({ weight: 4, arbitrary: fc.constant({ nodeCidr: '10.0.0.0/16' }) }, { weight: 1, arbitrary: fc.record({ nodeCidr: cidr, podCidr: cidr, serviceCidr: cidr }, { requiredKeys: [] }) }),
    controlPlane: fc.option(fc.record({ count: pick(fc.constantFrom(1, 3, 5, 2)) }), { freq: 3, nil: undefined }),
    workers: fc.option(fc.record({ count: pick(fc.integer({ min: 0, max: 6 })) }), { freq: 3, nil: undefined }),
    ssh: fc.record({ user, adminCidrs: fc.oneof(fc.constant(['203.0.113.0/24']), fc.array(cidr, { maxLength: 2 })) }, { requiredKeys: ['adminCidrs'] }),
    image: fc.record({ id: pick(fc.constantFrom('ami-0123456789abcdef0', 'debian-12')) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['apiVersion', 'kind', 'name', 'provider'] },
).map((doc) => JSON.parse(JSON.stringify(doc)) as Record<string, unknown>); // drops the undefined options

/** Reads a line made of '…' and \' pieces separated by single spaces back into words. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      current += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '\\') {
      current += line[i + 1];
      i += 2;
    } else if (c === ' ') {
      words.push(current);
      current = '';
      i += 1;
    } else {
      throw new Error(`unquoted character ${JSON.stringify(c)} in ${JSON.stringify(line)}`);
    }
  }
  words.push(current);
  return words;
}

/** The inventory Terraform would report for a cloud spec: default names, addresses in the node CIDR. */
function cloudInventory(spec: ClusterSpec): Inventory {
  const counts = nodeCounts(spec);
  const range = parseCidr(spec.network.nodeCidr ?? DEFAULT_NETWORK.nodeCidr);
  if (typeof range !== 'object') throw new Error(`a valid spec has an unreadable node CIDR: ${spec.network.nodeCidr}`);
  const base = range.base;
  let next = base + 10;
  const ip = () => {
    const n = next++;
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  };
  const node = (role: 'control-plane' | 'worker', i: number) => {
    const address = ip();
    return { name: defaultNodeName(role, i + 1), public_ip: address, private_ip: address };
  };
  const controlPlane = Array.from({ length: counts.controlPlanes }, (_, i) => node('control-plane', i));
  return {
    api_endpoint: `${controlPlane[0]!.private_ip}:6443`,
    ssh_user: spec.ssh.user,
    bastion: null,
    control_plane: controlPlane,
    workers: Array.from({ length: counts.workers }, (_, i) => node('worker', i)),
  };
}

interface Sent {
  argv: string[];
  env?: Record<string, string>;
}

/** Everything init (and the day-2 builders) would send for this spec, as argv + env. */
function renderAll(spec: ClusterSpec): { sent: Sent[]; files: string[] } {
  describeInitPlan(spec);
  const inventory = spec.provider.name === 'static' ? inventoryFromSpec(spec) : checkInventory(cloudInventory(spec), spec);
  const topology = topologyFromInventory(inventory);
  const first = firstControlPlane(topology);
  const version = spec.kubernetes.version;
  const token = generateBootstrapToken();
  const certificateKey = generateCertificateKey();
  const sent: Sent[] = [];
  const files: string[] = [];
  const install = (path: string) => sent.push({ argv: ['install', '-m', '0600', '-D', `/tmp/k8sb/${path.split('/').pop()}`, path] });

  for (const node of allNodes(topology)) {
    sent.push({ argv: ['cat', '/etc/k8s-bootstrap/prepared'] });
    sent.push({ argv: ['bash', '/tmp/k8sb/prepare-node.sh'], env: { K8S_VERSION: version, K8S_MINOR: version.split('.').slice(0, 2).join('.'), RUNTIME: spec.kubernetes.runtime, PULL_IMAGES: '0' } });
    sent.push({ argv: cmd.fileExists(cmd.KUBELET_KUBECONFIG) }, { argv: cmd.getNodeJson(node.name) }, { argv: cmd.cordon(node.name) }, { argv: cmd.uncordon(node.name) });
    sent.push({ argv: cmd.drain(node.name, 300) }, { argv: cmd.deleteNode(node.name) }, { argv: cmd.kubeletJournal(5) }, { argv: cmd.reset() });
    sent.push({ argv: aptMarkUnhold(['kubeadm']) }, { argv: aptInstallPinned(['kubeadm', 'kubelet', 'kubectl'], version) }, { argv: aptMarkHold(['kubeadm', 'kubelet', 'kubectl']) });
    sent.push({ argv: cmd.upgradeNode() }, { argv: cmd.imagesPull(version) });
    if (node === first) {
      files.push(renderInitConfig({ spec, node: { name: node.name, privateIp: node.privateIp }, apiEndpoint: topology.apiEndpoint, certSans: [node.host], token, certificateKey }));
      install('/etc/kubernetes/k8sb/kubeadm-init.yaml');
      sent.push({ argv: cmd.kubeadmInit(INIT_CONFIG_PATH) }, { argv: cmd.tokenCreatePrintJoin() }, { argv: cmd.uploadCerts(UPLOAD_CERTS_CONFIG_PATH) });
      sent.push({ argv: cmd.getNodesJson() }, { argv: cmd.waitNodesReady(600) }, { argv: cmd.readyzVerbose() }, { argv: cmd.upgradePlan(version) }, { argv: cmd.upgradeApply(version) });
    } else {
      const controlPlane = node.role === 'control-plane' ? { certificateKey, advertiseAddress: node.privateIp } : undefined;
      files.push(renderJoinConfig({ spec, node: { name: node.name, privateIp: node.privateIp }, apiEndpoint: topology.apiEndpoint, token, caCertHash: `sha256:${'ab'.repeat(32)}`, ...(controlPlane ? { controlPlane } : {}) }));
      install('/etc/kubernetes/k8sb/kubeadm-join.yaml');
      sent.push({ argv: cmd.kubeadmJoin(JOIN_CONFIG_PATH) });
    }
  }

  const cni = cniInstallPlan(spec);
  for (const file of cni.files) {
    files.push(file.content);
    install(file.path);
  }
  for (const script of cni.scripts) sent.push({ argv: ['bash', `/tmp/k8sb/${script.name}.sh`] });
  for (const command of [...cni.install, ...cni.upgrade]) sent.push({ argv: command.argv, ...(command.env ? { env: command.env } : {}) });
  sent.push({ argv: cni.probe });

  const provider = spec.provider;
  if (provider.name === 'static' && provider.virtualIp && !provider.apiEndpoint && topology.controlPlanes.length > 1) {
    const authPass = generateVrrpPassword();
    for (const node of topology.controlPlanes) {
      sent.push({ argv: detectInterfaceCommand(node.privateIp) }, { argv: staticHaPackages() }, ...staticHaStartCommands().map((argv) => ({ argv })));
      for (const file of renderStaticHa({ clusterName: spec.name, vip: provider.virtualIp, controlPlanes: topology.controlPlanes.map((n) => ({ name: n.name, privateIp: n.privateIp })), self: node.name, interface: 'eth0', authPass })) {
        files.push(file.content);
        install(file.path);
      }
    }
  }
  return { sent, files };
}

/** Why specs were refused (K8SB_PROPERTY_WHY=1 prints the top reasons, to tune the generators). */
const refusals: Record<string, number> = {};
function countRefusal(error: UsageError): void {
  const issues = error instanceof ValidationError ? error.issues : [{ path: error.code, message: '' }];
  for (const issue of issues) {
    const key = `${issue.path.replace(/\[\d+\]/g, '[]')}: ${issue.message}`.slice(0, 110);
    refusals[key] = (refusals[key] ?? 0) + 1;
  }
}
const stats = { valid: 0, invalid: 0, lines: 0, static: 0, ha: 0 };

describe('random specs through validate → plan → every rendered node command', () => {
  it('never crash, and every command line is fully quoted and reads back as its argv', () => {
    fc.assert(
      fc.property(specDocument, (document) => {
        let spec: ClusterSpec;
        try {
          spec = validateSpec(document);
        } catch (error) {
          if (!(error instanceof ValidationError || error instanceof UsageError)) throw error;
          stats.invalid += 1;
          countRefusal(error);
          return;
        }
        stats.valid += 1;
        if (spec.provider.name === 'static') stats.static += 1;
        if (spec.provider.name === 'static' && spec.provider.virtualIp) stats.ha += 1;
        const { sent } = renderAll(spec);
        for (const { argv, env } of sent) {
          const built = buildCommandLine(argv, { sudo: true, ...(env ? { env } : {}) });
          stats.lines += 1;
          expect(isSafeCommandLine(built.line), built.line).toBe(true);
          const expected = ['sudo', '-n', ...(env ? ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)] : []), ...argv];
          expect(shellWords(built.line)).toEqual(expected);
          expect(quoteCommand(expected)).toBe(built.line);
          // No hostile value got into a valid spec's commands. (A `sh -c SCRIPT` script is a constant
          // of the code; the values it works on follow it as positional arguments.)
          const values = argv.filter((_, i) => argv[i - 1] !== '-c').join(' ');
          for (const bad of ['$(', '`', '; ', '&&', '\n']) expect(values.includes(bad), `${bad} in ${JSON.stringify(argv)}`).toBe(false);
        }
      }),
      { numRuns: 500, seed: Number(process.env.K8SB_PROPERTY_SEED ?? 20241123) },
    );
    console.log(`[property] ${JSON.stringify(stats)}`); // how much ground the run covered
    if (process.env.K8SB_PROPERTY_WHY) console.log(Object.entries(refusals).sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v} ${k}`).join('\n'));
    // The generator must reach the interesting paths, or the property proves little.
    expect(stats.valid).toBeGreaterThan(40);
    expect(stats.invalid).toBeGreaterThan(40);
    expect(stats.static).toBeGreaterThan(10);
    expect(stats.lines).toBeGreaterThan(1000);
  }, 120_000);

  it('the read-back check itself rejects an unquoted line', () => {
    expect(() => shellWords("'a' b")).toThrow(/unquoted/);
    expect(isSafeCommandLine("'kubeadm' 'join' ; 'x'")).toBe(false);
  });
});
