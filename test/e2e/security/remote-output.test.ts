/**
 * Unexpected output from the outside (kubeadm, kubectl, Terraform) fails the step with the output
 * shown — never a crash, never a half-understood value used further: kubeadm printing no join
 * command, `kubectl get nodes -o json` returning garbage, Terraform outputs missing a field, a
 * node address outside the node CIDR, a duplicate address, a node name that is not a name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExternalToolError } from '../../../src/errors.js';
import { parseJoinCommand } from '../../../src/kube/join-material.js';
import { parseNodesJson, parseNodeJson, parseKubeadmVersion } from '../../../src/kube/node-commands.js';
import { checkInventory } from '../../../src/providers/inventory-check.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import { API_VERSION, KIND } from '../../../src/config/schema.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { runCli } from '../../helpers/fake-io.js';

function failure(run: () => unknown): ExternalToolError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ExternalToolError);
    return error as ExternalToolError;
  }
  throw new Error('expected a failure, got a result');
}

const TOKEN = 'abcdef.0123456789abcdef';
const HASH = `sha256:${'a'.repeat(64)}`;

describe('kubeadm printing no usable join command', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['empty output', '', /no line starts with "kubeadm join"/],
    ['an error instead of a command', 'failed to create or update bootstrap token with name bootstrap-token-abcdef: etcdserver: request timed out\n', /no line starts with "kubeadm join"/],
    ['a join without a token', `kubeadm join 10.0.0.5:6443 --discovery-token-ca-cert-hash ${HASH}`, /token/],
    ['a join without a CA hash', `kubeadm join 10.0.0.5:6443 --token ${TOKEN}`, /CA hash/],
    ['a malformed token', `kubeadm join 10.0.0.5:6443 --token NOT-A-TOKEN --discovery-token-ca-cert-hash ${HASH}`, /bootstrap token/],
    ['an endpoint with a shell payload', `kubeadm join $(reboot) --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH}`, /HOST:PORT/],
    ['an extra argument', `kubeadm join 10.0.0.5:6443 ; rm -rf / --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH}`, /unexpected argument/],
    ['an unknown flag', `kubeadm join 10.0.0.5:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} --config /etc/passwd`, /unknown flag --config/],
    ['a flag without a value', `kubeadm join 10.0.0.5:6443 --token`, /--token has no value/],
    ['a short certificate key', `kubeadm join 10.0.0.5:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} --control-plane --certificate-key abc`, /certificate key/],
  ];
  for (const [name, output, why] of cases) {
    it(`${name}: fails with the output shown, secrets masked`, () => {
      const error = failure(() => parseJoinCommand(output));
      expect(error.code).toBe('UnexpectedJoinCommand');
      expect(error.message).toMatch(why);
      if (output.trim() !== '') expect(error.details.join('\n')).toContain(output.split('\n')[0]!.replace(TOKEN, '***').replace('a'.repeat(64), '***').slice(0, 30));
      expect(error.details.join('\n')).not.toContain(TOKEN);
    });
  }

  it('still reads a real one, with continuation lines', () => {
    const join = parseJoinCommand(`You can now join…\n\nkubeadm join 10.0.0.5:6443 --token ${TOKEN} \\\n\t--discovery-token-ca-cert-hash ${HASH}\n`);
    expect(join).toEqual({ endpoint: '10.0.0.5:6443', token: TOKEN, caCertHashes: [HASH], controlPlane: false });
  });
});

describe('kubectl get nodes -o json returning garbage', () => {
  const cases: Array<[string, string]> = [
    ['not JSON', 'error: You must be logged in to the server (Unauthorized)'],
    ['truncated JSON', '{"apiVersion":"v1","items":[{"metadata":{"name":"cp-1"'],
    ['JSON without items', '{"apiVersion":"v1","kind":"List"}'],
    ['items that are not nodes', '{"items":[{"spec":{}}]}'],
    ['a node name of the wrong type', '{"items":[{"metadata":{"name":42}}]}'],
    ['null', 'null'],
    ['binary noise', '\u0000\u0001\u0002\u00ff'],
  ];
  for (const [name, output] of cases) {
    it(`${name}: fails naming the command, with the output in the details`, () => {
      const error = failure(() => parseNodesJson(output));
      expect(error.code).toBe('UnexpectedKubectlOutput');
      expect(error.message).toMatch(/kubectl get nodes -o json printed something that is not the expected JSON/);
      expect(error.details.join('\n')).toContain(output.split('\n')[0]!.slice(0, 20));
    });
  }

  it('get node NAME and kubeadm version are checked the same way', () => {
    expect(failure(() => parseNodeJson('[]')).code).toBe('UnexpectedKubectlOutput');
    expect(failure(() => parseKubeadmVersion('v1.36.2; rm -rf /')).code).toBe('UnexpectedKubeadmOutput');
  });
});

describe('Terraform outputs that break the inventory contract', () => {
  const spec = validateSpec({ apiVersion: API_VERSION, kind: KIND, name: 'inv', provider: { name: 'aws' }, ssh: { adminCidrs: ['203.0.113.0/24'] }, network: { nodeCidr: '10.0.0.0/24' } });
  const node = (name: string, ip: string) => ({ name, public_ip: '198.51.100.7', private_ip: ip });
  const good = () => ({
    api_endpoint: { sensitive: false, type: 'string', value: '198.51.100.1:6443' },
    ssh_user: { sensitive: false, type: 'string', value: 'ubuntu' },
    bastion: { sensitive: false, type: 'string', value: null },
    control_plane: { sensitive: false, type: ['list'], value: [node('cp-1', '10.0.0.10')] },
    workers: { sensitive: false, type: ['list'], value: [node('worker-1', '10.0.0.20')] },
  });

  it('accepts the good outputs', () => {
    expect(checkInventory(good(), spec).control_plane[0]!.name).toBe('cp-1');
  });

  const cases: Array<[string, (o: ReturnType<typeof good>) => unknown, RegExp]> = [
    ['ssh_user missing', (o) => ({ ...o, ssh_user: undefined }), /output "ssh_user" is missing/],
    ['api_endpoint missing', (o) => ({ ...o, api_endpoint: undefined }), /output "api_endpoint" is missing/],
    ['a worker without private_ip', (o) => ({ ...o, workers: { ...o.workers, value: [{ name: 'worker-1', public_ip: '198.51.100.8' }] } }), /workers\.0\.private_ip/],
    ['api_endpoint with a shell payload', (o) => ({ ...o, api_endpoint: { ...o.api_endpoint, value: '$(reboot):6443' } }), /api_endpoint/],
    ['an address outside the node CIDR', (o) => ({ ...o, workers: { ...o.workers, value: [node('worker-1', '10.9.9.9')] } }), /private_ip 10\.9\.9\.9 is outside network\.nodeCidr 10\.0\.0\.0\/24/],
    ['a duplicate address', (o) => ({ ...o, workers: { ...o.workers, value: [node('worker-1', '10.0.0.10')] } }), /private_ip 10\.0\.0\.10 is also used by "cp-1"/],
    ['a duplicate node name', (o) => ({ ...o, workers: { ...o.workers, value: [node('cp-1', '10.0.0.20')] } }), /node name "cp-1" appears 2 times/],
    ['a private_ip that is not an address', (o) => ({ ...o, workers: { ...o.workers, value: [node('worker-1', '10.0.0.20;id')] } }), /is not an IPv4 address/],
    ['a node name that is a shell payload', (o) => ({ ...o, workers: { ...o.workers, value: [node('a; rm -rf /', '10.0.0.20')] } }), /a; rm -rf \//],
    ['no outputs at all', () => ({}), /is missing/],
    ['not an object', () => 'garbage', /inventory contract/],
  ];
  for (const [name, mutate, why] of cases) {
    it(`${name}: refused, naming the output and the value`, () => {
      const error = failure(() => checkInventory(mutate(good()), spec));
      expect(error.code).toBe('InventoryInvalid');
      expect(`${error.message}\n${error.details.join('\n')}`).toMatch(why);
    });
  }
});

describe.skipIf(missingRequirement(hasCommand('terraform'), 'terraform is not on PATH'))('a real terraform module without the ssh_user output', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'k8sb-badout-'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('init fails in Infrastructure (exit 1) naming the missing output, before any SSH', async () => {
    const moduleDir = join(cwd, 'module');
    cpSync(resolve(import.meta.dirname, '../../fixtures/terraform/fleet'), moduleDir, { recursive: true });
    const main = readFileSync(join(moduleDir, 'main.tf'), 'utf8');
    const without = main.replace(/output "ssh_user" \{[^}]*\}\n/, '');
    expect(without).not.toEqual(main);
    writeFileSync(join(moduleDir, 'main.tf'), without);
    const hosts = [{ name: 'cp-1', address: '127.0.251.1' }];
    writeFileSync(join(moduleDir, 'fleet.auto.tfvars.json'), JSON.stringify({ fleet_control_planes: hosts, fleet_workers: [{ name: 'worker-1', address: '127.0.251.2' }] }));
    const run = await runCli(
      [
        '--dir', join(cwd, 'cluster'), '--output', 'plain', '--yes', 'init', '--name', 'badout', '--provider', 'aws', '--region', 'eu-west-1',
        '--admin-cidr', '203.0.113.0/24', '--node-cidr', '127.0.251.0/24', '--workers', '0', '--image-id', 'ami-0fleet0000000000',
        '--ssh-user', 'k8sb', '--cni', 'flannel',
      ],
      { cwd, env: { AWS_ACCESS_KEY_ID: 'AKIAFAKEBADOUTPUT001', AWS_SECRET_ACCESS_KEY: 'fake-secret-bad-output-test-0123456789', K8SB_TERRAFORM_MODULE_DIR: moduleDir, PATH: process.env.PATH } },
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/output "ssh_user" is missing/);
    expect(run.stderr).not.toMatch(/Unexpected error/);
  }, 120_000);
});
