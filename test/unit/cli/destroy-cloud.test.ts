/**
 * destroy on a cloud cluster with a stand-in terraform binary (K8SB_TERRAFORM_BINARY): terraform
 * init + destroy run in the cluster's terraform/ folder with the credentials in their environment
 * only, and the folder forgets the machines (known_hosts included). No real cloud is contacted.
 */
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_USAGE } from '../../../src/cli/main.js';
import { serializeSpec } from '../../../src/config/serialize.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import { ClusterDir } from '../../../src/state/cluster-dir.js';
import { runCli } from '../../helpers/fake-io.js';

const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

async function cloudCluster() {
  const cwd = await mkdtemp(join(tmpdir(), 'k8sb-day2-cloud-'));
  const spec = validateSpec({
    apiVersion: 'k8s-bootstrap.io/v1alpha1',
    kind: 'Cluster',
    name: 'cloudy',
    provider: { name: 'aws' },
    ssh: { adminCidrs: ['203.0.113.0/24'] },
  });
  const dir = ClusterDir.forCluster('cloudy', undefined, cwd);
  await dir.ensure();
  await dir.writeFile('cluster.yaml', serializeSpec(spec));
  await dir.writeFile('inventory.json', JSON.stringify({ api_endpoint: 'lb.example:6443', ssh_user: 'ubuntu', bastion: null, control_plane: [{ name: 'cp-1', public_ip: '198.51.100.1', private_ip: '10.240.0.10' }], workers: [] }));
  await dir.writeSecret('known_hosts', '198.51.100.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ\n');
  await dir.writeFile('kubeconfig', 'apiVersion: v1\nkind: Config\n', 0o600);
  await dir.writeFile('terraform/main.tf', '# module copy\n');
  // The stand-in records its argv and whether the secret reached it through the environment.
  const record = join(cwd, 'terraform-calls.txt');
  const fake = join(cwd, 'bin', 'terraform');
  await mkdir(join(cwd, 'bin'));
  await writeFile(fake, `#!/bin/sh\necho "ARGS $*" >> '${record}'\n[ "$AWS_SECRET_ACCESS_KEY" = '${SECRET}' ] && echo "ENV secret-present" >> '${record}'\nexit 0\n`);
  await chmod(fake, 0o755);
  const env = { K8SB_TERRAFORM_BINARY: fake, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET };
  return { cwd, dir, record, env };
}

describe('destroy on a cloud provider', () => {
  it('runs terraform init and destroy with credentials from the environment, then forgets the machines', async () => {
    const { cwd, dir, record, env } = await cloudCluster();
    const result = await runCli(['destroy', '--yes'], { cwd, env });
    expect(result.stderr).not.toContain(SECRET);
    expect(result.code).toBe(EXIT_OK);
    const calls = (await readFile(record, 'utf8')).trim().split('\n');
    // `init -help` first: the driver asks whether this binary's init takes -json.
    expect(calls.filter((line) => line.startsWith('ARGS -chdir=')).map((line) => line.split(' ')[2])).toEqual(['init', 'destroy']);
    expect(calls).toContain(`ARGS -chdir=${dir.terraformDir} destroy -json -auto-approve -input=false -no-color -lock-timeout=5m -parallelism=10`);
    expect(calls.filter((line) => line === 'ENV secret-present')).toHaveLength(2);
    expect(calls.join('\n')).not.toContain(SECRET);
    expect(existsSync(dir.inventoryFile)).toBe(false);
    expect(existsSync(dir.knownHostsFile)).toBe(false);
    expect(existsSync(dir.kubeconfigFile)).toBe(false);
    expect(existsSync(join(dir.terraformDir, 'main.tf'))).toBe(true);
    for (const log of await import('node:fs/promises').then((fs) => fs.readdir(dir.logsDir))) {
      expect(await readFile(join(dir.logsDir, log), 'utf8')).not.toContain(SECRET);
    }
  });

  it("also destroys what an interrupted image build left in image-build/, and skips it when that state is empty", async () => {
    const { cwd, dir, record, env } = await cloudCluster();
    const buildDir = join(dir.root, 'image-build');
    await mkdir(buildDir, { recursive: true });
    await writeFile(join(buildDir, 'main.tf'), '# module copy\n');
    await writeFile(join(buildDir, 'terraform.tfstate'), JSON.stringify({ version: 4, resources: [{ type: 'exoscale_security_group', name: 'build' }] }));
    const result = await runCli(['destroy', '--yes'], { cwd, env });
    expect(result.code, result.stderr).toBe(EXIT_OK);
    const calls = (await readFile(record, 'utf8')).trim().split('\n');
    expect(calls).toContain(`ARGS -chdir=${buildDir} destroy -json -auto-approve -input=false -no-color -lock-timeout=5m`);

    // Run again on an empty image-build state: nothing to destroy there.
    const again = await cloudCluster();
    const emptyDir = join(again.dir.root, 'image-build');
    await mkdir(emptyDir, { recursive: true });
    await writeFile(join(emptyDir, 'terraform.tfstate'), JSON.stringify({ version: 4, resources: [] }));
    expect((await runCli(['destroy', '--yes'], { cwd: again.cwd, env: again.env })).code).toBe(EXIT_OK);
    expect(await readFile(again.record, 'utf8')).not.toContain(`-chdir=${emptyDir}`);
  });

  it('refuses --reset-nodes (static only) and missing credentials with exit 2', async () => {
    const { cwd, env } = await cloudCluster();
    const reset = await runCli(['destroy', '--yes', '--reset-nodes'], { cwd, env });
    expect(reset.code).toBe(EXIT_USAGE);
    expect(reset.stderr).toContain('--reset-nodes is for static clusters');
    const noCredentials = await runCli(['destroy', '--yes'], { cwd, env: { K8SB_TERRAFORM_BINARY: env.K8SB_TERRAFORM_BINARY } });
    expect(noCredentials.code).toBe(EXIT_USAGE);
    expect(noCredentials.stderr).toContain('AWS_');
  });
});
