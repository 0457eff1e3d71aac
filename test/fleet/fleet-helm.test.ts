/**
 * The helm stand-in (test/fleet/README.md, "helm"): installed from the get.helm.sh tarball the
 * fleet's curl serves (checked with sha256sum against the published checksum), releases in the
 * shared API state with their Secrets, charts rendered into workloads the fleet schedules, --wait
 * as Helm 4's kstatus watcher judges readiness, rollback-on-failure, pending releases, uninstall.
 * Driven by the plain OpenSSH client.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELM as HELM_PIN } from '../../src/kube/addons/pins.js';
import { renderTemplate, templatePath } from '../../src/tools/template.js';
import { missingRequirement } from '../helpers/require-tool.js';
import { type Fleet, fleetAvailability, startFleet } from './fleet.js';
import { ssh, writeKnownHosts } from './plain-ssh.js';

const availability = fleetAvailability();
const skipReason = missingRequirement(availability.ok, `simulated fleet: ${availability.reason ?? ''}`);

const ADMIN = '--kubeconfig /etc/kubernetes/admin.conf';
const KUBECTL = `sudo -n kubectl ${ADMIN}`;
const HELM = 'sudo -n helm';
const HELM_SHA256 = 'c306b46f719b0a4da32d0f78ee21bf90ce8d602f15b22ab753f0674d1670a7f3';
const TARBALL = 'helm-v4.2.4-linux-amd64.tar.gz';
const REPOS = {
  'metrics-server': 'https://kubernetes-sigs.github.io/metrics-server/',
  traefik: 'https://traefik.github.io/charts',
  'cert-manager': 'https://charts.jetstack.io',
  'kube-prometheus-stack': 'https://prometheus-community.github.io/helm-charts',
  velero: 'https://vmware-tanzu.github.io/helm-charts',
} as const;

/** The add-on command of the contract: values on stdin, --wait, rollback on failure, the admin kubeconfig. */
const upgradeInstall = (release: string, chart: keyof typeof REPOS, version: string, namespace: string, extra = '--rollback-on-failure') =>
  `${HELM} upgrade --install ${release} ${chart} --repo ${REPOS[chart]} --version ${version} --namespace ${namespace} --create-namespace --values - --wait=watcher --timeout 300s ${extra} --history-max 10 ${ADMIN}`;

const initConfig = (endpoint: string) => `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
  - token: abcdef.0123456789abcdef
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.1
controlPlaneEndpoint: ${endpoint}
networking:
  podSubnet: 10.244.0.0/16
`;

const joinConfig = (endpoint: string, hash: string) => `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: ${endpoint}
    token: abcdef.0123456789abcdef
    caCertHashes: [${hash}]
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
`;

interface ListEntry { name: string; namespace: string; revision: string; updated: string; status: string; chart: string; app_version: string }
interface HistoryEntry { revision: number; updated: string; status: string; chart: string; app_version: string; description: string }
interface Workload { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { replicas?: number; template: { spec: { nodeSelector?: Record<string, string>; containers: Array<{ image: string; args?: string[]; ports?: Array<{ hostPort?: number }> }> } } }; status: Record<string, number> }

describe.skipIf(skipReason)('fleet stand-ins: helm', () => {
  let fleet: Fleet;
  let known: string;
  const run = (node: string, command: string, input?: string) => ssh(fleet, known, node, command, input);
  const cp = (command: string, input?: string) => run('cp1', command, input);
  const json = async <T>(command: string): Promise<T> => {
    const result = await cp(command);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const history = (release: string, namespace: string) => json<HistoryEntry[]>(`${HELM} history ${release} -n ${namespace} -o json ${ADMIN}`);
  const releases = () => json<ListEntry[]>(`${HELM} list -A -o json ${ADMIN}`);

  beforeAll(async () => {
    fleet = await startFleet({
      nodes: [
        { name: 'cp1', role: 'control-plane', image: { kubernetes: '1.37.1' } },
        { name: 'w1', image: { kubernetes: '1.37.1' } },
      ],
      helmWaitMs: 1000,
    });
    known = writeKnownHosts(fleet);
    const endpoint = `${fleet.node('cp1').address}:6443`;
    await cp('mkdir -p /tmp/k && cat > /tmp/k/init.yaml', initConfig(endpoint));
    expect((await cp('sudo -n kubeadm init --config /tmp/k/init.yaml')).code).toBe(0);
    expect((await cp(`${KUBECTL} apply -f https://github.com/flannel-io/flannel/releases/latest/download/kube-flannel.yml`)).code).toBe(0);
    await run('w1', 'mkdir -p /tmp/k && cat > /tmp/k/join.yaml', joinConfig(endpoint, fleet.api().cluster!.caCertHash));
    expect((await run('w1', 'sudo -n kubeadm join --config /tmp/k/join.yaml')).code).toBe(0);
  }, 90_000);
  afterAll(() => fleet?.stop());

  it('is installed from the get.helm.sh tarball (by install-helm.sh too), which sha256sum matches with its published .sha256sum; a changed byte fails the check', async () => {
    expect(await cp('sudo -n helm version')).toMatchObject({ code: 1, stderr: 'sudo: helm: command not found\n' });
    const download = await cp(`mkdir -p /tmp/h && cd /tmp/h && curl -fsSL -o ${TARBALL} https://get.helm.sh/${TARBALL} && curl -fsSL -o ${TARBALL}.sha256sum https://get.helm.sh/${TARBALL}.sha256sum && cat ${TARBALL}.sha256sum && sha256sum ${TARBALL} && sha256sum --check ${TARBALL}.sha256sum && tar -tzf ${TARBALL}`);
    expect(download.code, download.stderr).toBe(0);
    expect(download.stdout).toBe(`${HELM_SHA256}  ${TARBALL}\n${HELM_SHA256}  ${TARBALL}\n${TARBALL}: OK\nlinux-amd64/\nlinux-amd64/LICENSE\nlinux-amd64/README.md\nlinux-amd64/helm\n`);
    // The same bytes every time (a reproducible tarball).
    expect((await cp(`cd /tmp/h && curl -fsSL https://get.helm.sh/${TARBALL} | cmp - ${TARBALL} && echo same`)).stdout).toBe('same\n');

    const corrupt = await cp(`cd /tmp/h && cp ${TARBALL} bad.tgz && printf 'x' | dd of=bad.tgz bs=1 seek=200 conv=notrunc 2>/dev/null && echo "${HELM_SHA256}  bad.tgz" | sha256sum --check -`);
    expect(corrupt).toMatchObject({ code: 1, stdout: 'bad.tgz: FAILED\n', stderr: 'sha256sum: WARNING: 1 computed checksum did NOT match\n' });
    expect((await cp(`cd /tmp/h && echo "${HELM_SHA256}  bad.tgz" | sha256sum --check --status -`)).code).toBe(1);
    // Any other file hashes truthfully.
    expect((await cp('printf abc | sha256sum')).stdout).toBe(`${createHash('sha256').update('abc').digest('hex')}  -\n`);
    expect((await cp('curl -fsS -o /dev/null https://get.helm.sh/helm-v9.9.9-linux-amd64.tar.gz')).code).toBe(22);

    // The tool's own installer, its pins filled in from src/kube/addons/pins.ts, accepts the fleet's release.
    const script = renderTemplate(readFileSync(templatePath('scripts', 'install-helm.sh'), 'utf8'), { helmVersion: HELM_PIN.version, helmSha256Amd64: HELM_PIN.sha256.amd64, helmSha256Arm64: HELM_PIN.sha256.arm64 });
    expect(await cp('sudo -n bash -s', script)).toMatchObject({ code: 0, stdout: 'installed helm v4.2.4 (sha256 verified)\n' });
    expect(await cp('sudo -n bash -s', script)).toMatchObject({ code: 0, stdout: 'helm v4.2.4 already installed\n' });
    expect((await cp(`helm version --template '{{.Version}}'`)).stdout).toBe('v4.2.4');
    expect((await cp('sudo -n helm version --short')).stdout).toBe('v4.2.4+g3900f43\n');
    expect((await cp('helm version')).stdout).toBe('version.BuildInfo{Version:"v4.2.4", GitCommit:"3900f434fd3ef2b84065dc04508df48f288dba00", GitTreeState:"clean", GoVersion:"go1.26.0", KubeClientVersion:"v1.36"}\n');
  });

  it('needs a kubeconfig it can read, as Helm 4 says', async () => {
    expect(await cp('helm list')).toMatchObject({ code: 1, stderr: 'Error: kubernetes cluster unreachable: Get "http://localhost:8080/version": dial tcp 127.0.0.1:8080: connect: connection refused\n' });
    expect(await cp(`helm list ${ADMIN}`)).toMatchObject({ code: 1, stderr: 'Error: kubernetes cluster unreachable: error loading config file "/etc/kubernetes/admin.conf": open /etc/kubernetes/admin.conf: permission denied\n' });
    expect((await cp(`${HELM} list -A -o json ${ADMIN}`)).stdout).toBe('[]\n');
    expect(await cp(`${HELM} list -a ${ADMIN}`)).toMatchObject({ code: 1, stderr: "Error: unknown shorthand flag: 'a' in -a\n" });
  });

  it('installs a release: list JSON, status, user values, its Secret, and workloads the fleet runs', async () => {
    const values = 'args:\n  - --kubelet-insecure-tls\n';
    const install = await cp(upgradeInstall('metrics-server', 'metrics-server', '3.13.0', 'kube-system'), values);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toMatch(/^Release "metrics-server" does not exist\. Installing it now\.\nNAME: metrics-server\nLAST DEPLOYED: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\nNAMESPACE: kube-system\nSTATUS: deployed\nREVISION: 1\nDESCRIPTION: Install complete\nTEST SUITE: None\n$/);
    const [entry] = await releases();
    expect(entry).toEqual({ name: 'metrics-server', namespace: 'kube-system', revision: '1', updated: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/), status: 'deployed', chart: 'metrics-server-3.13.0', app_version: '0.8.0' });
    expect((await cp(`${HELM} get values metrics-server -n kube-system -o json ${ADMIN}`)).stdout).toBe('{"args":["--kubelet-insecure-tls"]}\n');
    const status = await json<{ name: string; version: number; namespace: string; info: { status: string; description: string }; chart: { metadata: { version: string; appVersion: string } }; config: unknown }>(`${HELM} status metrics-server -n kube-system -o json ${ADMIN}`);
    expect(status).toMatchObject({ name: 'metrics-server', version: 1, namespace: 'kube-system', info: { status: 'deployed', description: 'Install complete' }, chart: { metadata: { version: '3.13.0', appVersion: '0.8.0' } }, config: { args: ['--kubelet-insecure-tls'] } });

    const deployment = await json<Workload>(`${KUBECTL} -n kube-system get deployment metrics-server -o json`);
    expect(deployment.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'metrics-server', 'app.kubernetes.io/name': 'metrics-server', 'helm.sh/chart': 'metrics-server-3.13.0' });
    expect(deployment.metadata.annotations).toMatchObject({ 'meta.helm.sh/release-name': 'metrics-server', 'meta.helm.sh/release-namespace': 'kube-system' });
    expect(deployment.spec.template.spec.containers[0]!.image).toBe('registry.k8s.io/metrics-server/metrics-server:v0.8.0');
    expect(deployment.spec.template.spec.containers[0]!.args).toContain('--kubelet-insecure-tls');
    expect(deployment.status).toMatchObject({ replicas: 1, readyReplicas: 1 });
    expect((await cp(`${KUBECTL} get apiservice v1beta1.metrics.k8s.io -o name`)).stdout).toBe('apiservice/v1beta1.metrics.k8s.io\n');

    // Helm's Secrets driver: one Secret per revision, the release gzipped and base64-encoded inside.
    const secret = await json<{ type: string; metadata: { labels: Record<string, string> }; data: { release: string } }>(`${KUBECTL} -n kube-system get secret sh.helm.release.v1.metrics-server.v1 -o json`);
    expect(secret.type).toBe('helm.sh/release.v1');
    expect(secret.metadata.labels).toMatchObject({ name: 'metrics-server', owner: 'helm', status: 'deployed', version: '1' });
    const release = JSON.parse(gunzipSync(Buffer.from(Buffer.from(secret.data.release, 'base64').toString('utf8'), 'base64')).toString('utf8')) as { name: string; version: number; info: { status: string } };
    expect(release).toMatchObject({ name: 'metrics-server', version: 1, info: { status: 'deployed' } });
    const [record] = fleet.api().helmReleases!['kube-system/metrics-server']!;
    expect(record!.valuesSha256).toBe(createHash('sha256').update('{"args":["--kubelet-insecure-tls"]}').digest('hex'));
    expect(fleet.api().history.filter((event) => event.op.startsWith('helm-')).map((event) => [event.op, event.detail?.status])).toEqual([['helm-install', 'deployed']]);
  });

  it('answers an unknown chart version, a missing namespace and a second install as Helm does', async () => {
    const wrongVersion = await cp(upgradeInstall('traefik', 'traefik', '99.0.0', 'traefik'), '');
    expect(wrongVersion).toMatchObject({ code: 1, stderr: 'Error: chart "traefik" version "99.0.0" not found in https://traefik.github.io/charts repository\n' });
    const noNamespace = await cp(`${HELM} install traefik traefik --repo ${REPOS.traefik} --version 37.1.0 -n nowhere ${ADMIN}`);
    expect(noNamespace).toMatchObject({ code: 1, stderr: 'Error: INSTALLATION FAILED: create: failed to create: namespaces "nowhere" not found\n' });
    const again = await cp(`${HELM} install metrics-server metrics-server --repo ${REPOS['metrics-server']} -n kube-system ${ADMIN}`);
    expect(again).toMatchObject({ code: 1, stderr: 'Error: INSTALLATION FAILED: cannot reuse a name that is still in use\n' });
    expect((await releases()).map((entry) => entry.name)).toEqual(['metrics-server']);
  });

  it('upgrades with changed values into a new revision whose objects changed; the same values again still make a revision', async () => {
    const hostPorts = 'deployment:\n  kind: DaemonSet\nports:\n  web:\n    hostPort: 80\n  websecure:\n    hostPort: 443\nservice:\n  type: ClusterIP\n';
    expect((await cp(upgradeInstall('traefik', 'traefik', '37.1.0', 'traefik'), hostPorts)).code).toBe(0);
    const daemonSet = await json<Workload>(`${KUBECTL} -n traefik get daemonset traefik -o json`);
    expect(daemonSet.spec.template.spec.containers[0]!.image).toBe('docker.io/traefik:v3.5.1');
    expect(daemonSet.spec.template.spec.containers[0]!.ports!.map((port) => port.hostPort).filter(Boolean)).toEqual([80, 443]);
    // Traefik tolerates no taint: its pods run on the worker only.
    expect(daemonSet.status).toMatchObject({ desiredNumberScheduled: 1, numberReady: 1 });
    expect(daemonSet.metadata.labels['app.kubernetes.io/instance']).toBe('traefik-traefik');
    const ingressClass = await json<{ metadata: { annotations: Record<string, string> }; spec: { controller: string } }>(`${KUBECTL} get ingressclass traefik -o json`);
    expect(ingressClass).toMatchObject({ metadata: { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: 'traefik.io/ingress-controller' } });
    expect((await cp(`${KUBECTL} get crd middlewares.traefik.io -o name`)).stdout).toBe('customresourcedefinition/middlewares.traefik.io\n');

    // A LoadBalancer Service that gets no address: kstatus (Helm 4's watcher) does not wait for one.
    const loadBalancer = 'deployment:\n  kind: Deployment\n  replicas: 2\n';
    const upgraded = await cp(upgradeInstall('traefik', 'traefik', '37.1.0', 'traefik'), loadBalancer);
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(upgraded.stdout).toMatch(/^Release "traefik" has been upgraded\. Happy Helming!\nNAME: traefik\n[^]*REVISION: 2\nDESCRIPTION: Upgrade complete\n/);
    expect((await cp(`${KUBECTL} -n traefik get daemonset traefik`)).code).toBe(1);
    expect((await json<Workload>(`${KUBECTL} -n traefik get deployment traefik -o json`)).spec.replicas).toBe(2);
    expect((await cp(`${KUBECTL} -n traefik get service traefik`)).stdout).toMatch(/^traefik\s+LoadBalancer\s+\S+\s+<pending>\s+80:3\d{4}\/TCP,443:3\d{4}\/TCP/m);

    expect((await cp(upgradeInstall('traefik', 'traefik', '37.1.0', 'traefik'), loadBalancer)).code).toBe(0);
    expect((await history('traefik', 'traefik')).map((entry) => [entry.revision, entry.status, entry.description])).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'superseded', 'Upgrade complete'],
      [3, 'deployed', 'Upgrade complete'],
    ]);
    // Helm 3's waiter (--wait=legacy) does wait for the load balancer's address: it times out.
    const legacy = await cp(upgradeInstall('traefik', 'traefik', '37.1.0', 'traefik', '--wait=legacy'), loadBalancer);
    expect(legacy).toMatchObject({ code: 1, stderr: 'Error: UPGRADE FAILED: context deadline exceeded\n' });
    expect((await releases()).find((entry) => entry.name === 'traefik')).toMatchObject({ revision: '4', status: 'failed' });
    // Helm never upgrades crds/ CRDs: they are applied from `helm show crds` first, as the Traefik chart's README asks.
    const crds = await cp(`${HELM} show crds traefik --repo ${REPOS.traefik} --version 41.3.0 | ${KUBECTL} apply --server-side --force-conflicts --field-manager=k8s-bootstrap -f -`);
    expect(crds.code, crds.stderr).toBe(0);
    expect(crds.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/middlewares.traefik.io serverside-applied\n');
    expect(crds.stdout.trim().split('\n')).toHaveLength(10);
    // A failed release just upgrades again, here to a newer chart, whose Service type moved under service.spec (chart 40).
    const newer = await cp(upgradeInstall('traefik', 'traefik', '41.3.0', 'traefik'), 'service:\n  spec:\n    type: NodePort\n');
    expect(newer.code, newer.stderr).toBe(0);
    expect((await releases()).find((entry) => entry.name === 'traefik')).toMatchObject({ revision: '5', status: 'deployed', chart: 'traefik-41.3.0', app_version: 'v3.7.11' });
    expect((await json<Workload>(`${KUBECTL} -n traefik get deployment traefik -o json`)).spec.template.spec.containers[0]!.image).toBe('docker.io/traefik:v3.7.11');
    expect((await cp(`${KUBECTL} -n traefik get service traefik`)).stdout).toMatch(/^traefik\s+NodePort\s/m);
  });

  it('rolls a failing upgrade back with --rollback-on-failure, in Helm 4\'s words, and restores the previous objects', async () => {
    const failing = await cp(upgradeInstall('metrics-server', 'metrics-server', '3.13.0', 'kube-system'), 'nodeSelector:\n  no-such-label: "true"\n');
    expect(failing.code).toBe(1);
    expect(failing.stderr).toBe(
      'Error: UPGRADE FAILED: release metrics-server failed, and has been rolled back due to rollback-on-failure being set: resource Deployment/kube-system/metrics-server not ready. status: InProgress, message: Available: 0/1\ncontext deadline exceeded\n',
    );
    expect((await history('metrics-server', 'kube-system')).map((entry) => [entry.revision, entry.status, entry.description])).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'failed', 'Upgrade "metrics-server" failed: resource Deployment/kube-system/metrics-server not ready. status: InProgress, message: Available: 0/1\ncontext deadline exceeded'],
      [3, 'deployed', 'Rollback to 1'],
    ]);
    const deployment = await json<Workload>(`${KUBECTL} -n kube-system get deployment metrics-server -o json`);
    expect(deployment.spec.template.spec.nodeSelector).toBeUndefined();
    expect(deployment.status).toMatchObject({ readyReplicas: 1 });
    expect((await cp(`${HELM} get values metrics-server -n kube-system -o json ${ADMIN}`)).stdout).toBe('{"args":["--kubelet-insecure-tls"]}\n');
  });

  it('uninstalls a first install that fails (--atomic, deprecated), keeping the CRDs of its crds/ directory', async () => {
    const failing = await cp(upgradeInstall('velero', 'velero', '11.1.0', 'velero', '--atomic'), 'credentials:\n  existingSecret: velero-s3\ndeployNodeAgent: true\n');
    expect(failing.code).toBe(1);
    expect(failing.stderr).toBe(
      'Flag --atomic has been deprecated, use --rollback-on-failure instead\nError: release velero failed, and has been uninstalled due to rollback-on-failure being set: resource DaemonSet/velero/node-agent not ready. status: InProgress, message: Available: 0/1\nresource Deployment/velero/velero not ready. status: InProgress, message: Available: 0/1\ncontext deadline exceeded\n',
    );
    expect(await cp(`${HELM} status velero -n velero ${ADMIN}`)).toMatchObject({ code: 1, stderr: 'Error: release: not found\n' });
    expect((await cp(`${KUBECTL} -n velero get deployment velero`)).code).toBe(1);
    expect((await cp(`${KUBECTL} -n velero get secrets -o name`)).stdout).not.toContain('sh.helm.release');
    expect((await cp(`${KUBECTL} get crd backups.velero.io -o name`)).stdout).toBe('customresourcedefinition/backups.velero.io\n');
    // With the Secret it mounts, the same install succeeds; the schedule is named "<fullname>-<name>".
    await cp(`${KUBECTL} apply -f -`, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: velero-s3\n  namespace: velero\nstringData:\n  cloud: "[default]"\n');
    const values = 'credentials:\n  existingSecret: velero-s3\ndeployNodeAgent: true\nnodeAgent:\n  tolerations:\n    - operator: Exists\nschedules:\n  daily:\n    schedule: "0 3 * * *"\n    template:\n      ttl: 720h\n';
    const installed = await cp(upgradeInstall('velero', 'velero', '11.1.0', 'velero'), values);
    expect(installed.code, installed.stderr).toBe(0);
    expect((await cp(`${KUBECTL} -n velero get schedules -o name`)).stdout).toBe('schedule/velero-daily\n');
  });

  it('leaves an interrupted upgrade pending-upgrade: upgrades are refused until a rollback', async () => {
    fleet.setFault('cp1', { interruptOnce: 'helm upgrade --install metrics-server' });
    const interrupted = await cp(upgradeInstall('metrics-server', 'metrics-server', '3.13.0', 'kube-system'), 'replicas: 2\n');
    expect(interrupted.code).toBe(255);
    expect((await releases()).find((entry) => entry.name === 'metrics-server')).toMatchObject({ revision: '4', status: 'pending-upgrade' });
    // Nothing was applied.
    expect((await json<Workload>(`${KUBECTL} -n kube-system get deployment metrics-server -o json`)).spec.replicas).toBe(1);
    const refused = await cp(upgradeInstall('metrics-server', 'metrics-server', '3.13.0', 'kube-system'), 'replicas: 2\n');
    expect(refused).toMatchObject({ code: 1, stderr: 'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n' });
    expect(await cp(`${HELM} rollback metrics-server -n kube-system --wait ${ADMIN}`)).toMatchObject({ code: 0, stdout: 'Rollback was a success! Happy Helming!\n' });
    expect((await history('metrics-server', 'kube-system')).slice(-2).map((entry) => [entry.revision, entry.status, entry.description])).toEqual([
      [4, 'pending-upgrade', 'Preparing upgrade'],
      [5, 'deployed', 'Rollback to 3'],
    ]);
    expect((await cp(upgradeInstall('metrics-server', 'metrics-server', '3.13.0', 'kube-system'), 'replicas: 2\n')).code).toBe(0);
    expect((await json<Workload>(`${KUBECTL} -n kube-system get deployment metrics-server -o json`)).spec.replicas).toBe(2);

    // An interrupted first install is pending-install: upgrade --install is refused, uninstall clears it.
    fleet.setFault('cp1', { interruptOnce: 'helm upgrade --install cert-manager' });
    expect((await cp(upgradeInstall('cert-manager', 'cert-manager', 'v1.21.1', 'cert-manager'), 'crds:\n  enabled: true\n')).code).toBe(255);
    expect((await releases()).find((entry) => entry.name === 'cert-manager')).toMatchObject({ revision: '1', status: 'pending-install' });
    expect((await cp(upgradeInstall('cert-manager', 'cert-manager', 'v1.21.1', 'cert-manager'), 'crds:\n  enabled: true\n')).stderr).toBe('Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n');
    expect((await cp(`${HELM} uninstall cert-manager -n cert-manager ${ADMIN}`)).stdout).toBe('release "cert-manager" uninstalled\n');
  });

  it('uninstalls a release: its objects and Secrets go, CRDs with the keep policy stay', async () => {
    expect((await cp(upgradeInstall('cert-manager', 'cert-manager', 'v1.21.1', 'cert-manager'), 'crds:\n  enabled: true\n  keep: true\n')).code).toBe(0);
    const names = async (command: string) => (await cp(command)).stdout.split('\n').filter(Boolean).sort();
    expect(await names(`${KUBECTL} -n cert-manager get deployments -o name`)).toEqual(['deployment/cert-manager', 'deployment/cert-manager-cainjector', 'deployment/cert-manager-webhook']);
    expect((await json<Workload>(`${KUBECTL} -n cert-manager get deployment cert-manager-webhook -o json`)).spec.template.spec.containers[0]!.image).toBe('quay.io/jetstack/cert-manager-webhook:v1.21.1');
    const removed = await cp(`${HELM} uninstall cert-manager -n cert-manager ${ADMIN}`);
    expect(removed.stdout).toBe(
      'These resources were kept due to the resource policy:\n[CustomResourceDefinition] certificates.cert-manager.io\n[CustomResourceDefinition] certificaterequests.cert-manager.io\n[CustomResourceDefinition] issuers.cert-manager.io\n[CustomResourceDefinition] clusterissuers.cert-manager.io\n[CustomResourceDefinition] challenges.acme.cert-manager.io\n[CustomResourceDefinition] orders.acme.cert-manager.io\n\nrelease "cert-manager" uninstalled\n',
    );
    expect((await cp(`${KUBECTL} -n cert-manager get deployments -o name`)).stdout).toBe('');
    expect((await cp(`${KUBECTL} -n cert-manager get secrets -o name`)).stdout).toBe('');
    expect((await cp(`${KUBECTL} get crd clusterissuers.cert-manager.io -o name`)).code).toBe(0);
    expect(await cp(`${HELM} uninstall cert-manager -n cert-manager ${ADMIN}`)).toMatchObject({ code: 1, stderr: 'Error: uninstall: Release not loaded: cert-manager: release: not found\n' });
  });

  it('runs kube-prometheus-stack: the operator makes the Prometheus and Alertmanager StatefulSets, Grafana reads its admin Secret', async () => {
    await cp(`${KUBECTL} apply -f -`, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: grafana-admin\n  namespace: monitoring\nstringData:\n  admin-user: admin\n  admin-password: secret\n');
    const installed = await cp(upgradeInstall('kube-prometheus-stack', 'kube-prometheus-stack', '79.0.0', 'monitoring'), 'grafana:\n  admin:\n    existingSecret: grafana-admin\n');
    expect(installed.code, installed.stderr).toBe(0);
    const names = async (command: string) => (await cp(command)).stdout.split('\n').filter(Boolean).sort();
    expect(await names(`${KUBECTL} -n monitoring get deployments -o name`)).toEqual(['deployment/kube-prometheus-stack-grafana', 'deployment/kube-prometheus-stack-kube-state-metrics', 'deployment/kube-prometheus-stack-operator']);
    expect(await names(`${KUBECTL} -n monitoring get statefulsets -o name`)).toEqual(['statefulset/alertmanager-kube-prometheus-stack-alertmanager', 'statefulset/prometheus-kube-prometheus-stack-prometheus']);
    const pods = await json<{ items: Array<{ metadata: { name: string }; status: { phase: string } }> }>(`${KUBECTL} -n monitoring get pods -l app.kubernetes.io/name=prometheus -o json`);
    expect(pods.items.map((pod) => [pod.metadata.name, pod.status.phase])).toEqual([['prometheus-kube-prometheus-stack-prometheus-0', 'Running']]);
    // The node exporter tolerates every NoSchedule taint: one pod per node.
    expect((await json<Workload>(`${KUBECTL} -n monitoring get daemonset kube-prometheus-stack-prometheus-node-exporter -o json`)).status).toMatchObject({ desiredNumberScheduled: 2, numberReady: 2 });
    expect((await cp(`${HELM} uninstall kube-prometheus-stack -n monitoring ${ADMIN}`)).code).toBe(0);
    expect((await cp(`${KUBECTL} -n monitoring get statefulsets -o name`)).stdout).toBe('');
  });
});
