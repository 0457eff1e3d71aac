// curl and gpg. curl NEVER touches the network: known release URLs answer with canned files
// (test/fleet/canned), anything else is a 404.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fail, flagValue, NODE_STATE_DIR, parseArgs, thisNode } from './context.mjs';

const canned = (name) => readFileSync(`${thisNode().fleetRoot}/canned/${name}`);
/** A canned manifest of one release: {{version}} becomes the tag the URL names. */
const versioned = (name, version) => Buffer.from(canned(name).toString('utf8').replaceAll('{{version}}', version));

/** URL → canned body. Order matters: first match wins. */
const ROUTES = [
  [/^https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v\d+\.\d+\/deb\/Release\.key$/, () => canned('release-key.asc')],
  [/^https:\/\/download\.docker\.com\/linux\/(ubuntu|debian)\/gpg$/, () => canned('release-key.asc')],
  [/^https:\/\/download\.opensuse\.org\/repositories\/isv:\/cri-o:\/stable:\/v\d+\.\d+\/deb\/Release\.key$/, () => canned('release-key.asc')],
  [/^https:\/\/raw\.githubusercontent\.com\/cilium\/cilium-cli\/main\/stable\.txt$/, () => Buffer.from('v0.19.7\n')],
  [/^https:\/\/github\.com\/cilium\/cilium-cli\/releases\/download\/(v[\d.]+)\/cilium-linux-(amd64|arm64)\.tar\.gz$/, (match) => ciliumCliTarball(match[1])],
  [
    /^https:\/\/github\.com\/cilium\/cilium-cli\/releases\/download\/(v[\d.]+)\/(cilium-linux-(amd64|arm64)\.tar\.gz)\.sha256sum$/,
    (match) => Buffer.from(`${createHash('sha256').update(ciliumCliTarball(match[1])).digest('hex')}  ${match[2]}\n`),
  ],
  // Calico 3.31 names the operator's CRDs operator-crds.yaml; 3.32+ v1_crd_projectcalico_org.yaml.
  [/^https:\/\/raw\.githubusercontent\.com\/projectcalico\/calico\/(v[\d.]+)\/manifests\/(operator-crds|v1_crd_projectcalico_org)\.yaml$/, () => canned('calico-operator-crds.yaml')],
  [/^https:\/\/raw\.githubusercontent\.com\/projectcalico\/calico\/(v[\d.]+)\/manifests\/tigera-operator\.yaml$/, (match) => versioned('calico-tigera-operator.yaml', match[1])],
  [/^https:\/\/raw\.githubusercontent\.com\/projectcalico\/calico\/v[\d.]+\/manifests\/custom-resources\.yaml$/, () => canned('calico-custom-resources.yaml')],
  [/^https:\/\/github\.com\/flannel-io\/flannel\/releases\/(latest\/download|download\/v[\d.]+)\/kube-flannel\.yml$/, () => canned('kube-flannel.yml')],
  // get.helm.sh: the versions canned/helm-releases.json lists (others 404). The .sha256sum is what
  // the real release publishes ("<hex>  <tarball>", as `sha256sum --check` reads it).
  [/^https:\/\/get\.helm\.sh\/helm-(v[\d.]+)-linux-(amd64|arm64)\.tar\.gz$/, (match) => (helmRelease(match[1]) ? helmTarball(match[1], match[2]) : null)],
  [
    /^https:\/\/get\.helm\.sh\/(helm-(v[\d.]+)-linux-(amd64|arm64)\.tar\.gz)\.sha256sum$/,
    (match) => (helmRelease(match[2]) ? Buffer.from(`${helmRelease(match[2]).sha256[match[3]]}  ${match[1]}\n`) : null),
  ],
];

/** The Helm release the fleet's get.helm.sh offers: { sha256: {amd64, arm64}, gitCommit, goVersion, kubeClientVersion }, or undefined. */
export function helmRelease(version) {
  const releases = JSON.parse(canned('helm-releases.json').toString('utf8'));
  return Object.hasOwn(releases, version) ? releases[version] : undefined;
}

/** A reproducible .tar.gz of the files in `dir` (sorted, mtime 0, owner root), cached as `file`. */
function reproducibleTarball(dir, file, members) {
  if (!existsSync(file)) {
    const tar = execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '-C', dir, ...members]);
    writeFileSync(`${file}.${process.pid}`, gzipSync(tar, { level: 9 }));
    renameSync(`${file}.${process.pid}`, file);
  }
  return readFileSync(file);
}

/**
 * The Helm release tarball of a version and architecture, laid out as get.helm.sh's are
 * (linux-<arch>/helm, LICENSE, README.md): its `helm` hands over to the stand-in and says which
 * version it is. Built once per node; the same bytes for the same version.
 */
export function helmTarball(version, arch) {
  const dir = `${NODE_STATE_DIR}/helm-${version}-linux-${arch}`;
  const member = `linux-${arch}`;
  if (!existsSync(`${dir}.tar.gz`)) {
    mkdirSync(`${dir}/${member}`, { recursive: true });
    writeFileSync(`${dir}/${member}/helm`, `#!/bin/sh\nK8SB_HELM_VERSION=${version} exec /usr/local/sbin/helm "$@"\n`, { mode: 0o755 });
    writeFileSync(`${dir}/${member}/LICENSE`, 'Apache License, Version 2.0 (fleet stand-in of the Helm release)\n', { mode: 0o644 });
    writeFileSync(`${dir}/${member}/README.md`, `Helm ${version} (fleet stand-in)\n`, { mode: 0o644 });
  }
  return reproducibleTarball(dir, `${dir}.tar.gz`, [member]);
}

/**
 * The sha256 the real release publishes for these bytes when they are exactly the fleet's stand-in
 * of a release tarball (what sha256sum reports for them, see sha256sum.mjs), else undefined.
 */
export function publishedSha256Of(bytes) {
  // Stand-in tarballs are small; anything large (or not gzip) is not one of them.
  if (bytes.length > 65536 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return undefined;
  const releases = JSON.parse(canned('helm-releases.json').toString('utf8'));
  for (const [version, release] of Object.entries(releases)) {
    for (const arch of ['amd64', 'arm64']) {
      if (helmTarball(version, arch).equals(bytes)) return release.sha256[arch];
    }
  }
  return undefined;
}

/**
 * The cilium CLI release of a version: a real, reproducible .tar.gz whose `cilium` hands over to
 * the stand-in and says which version it is. Built once per node and version; the same bytes everywhere.
 */
function ciliumCliTarball(version) {
  // Cached in the node's own state folder, which both the login user and root can write.
  const dir = `${NODE_STATE_DIR}/cilium-cli-${version}`;
  if (!existsSync(`${dir}.tar.gz`)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/cilium`, `#!/bin/sh\nK8SB_CILIUM_CLI_VERSION=${version} exec /usr/local/sbin/cilium "$@"\n`, { mode: 0o755 });
  }
  return reproducibleTarball(dir, `${dir}.tar.gz`, ['cilium']);
}

export function fetchCanned(url) {
  for (const [pattern, body] of ROUTES) {
    const match = pattern.exec(url);
    if (match) return body(match) ?? null;
  }
  return null;
}

export async function run(tool, argv) {
  return tool === 'curl' ? curl(argv) : gpg(argv);
}

function curl(argv) {
  const { flags, positional } = parseArgs(argv, { withValue: ['o', 'output', 'H', 'header', 'm', 'max-time', 'connect-timeout', 'retry', 'A', 'user-agent', 'w'] });
  if (positional.length === 0) fail(2, "curl: try 'curl --help' or 'curl --manual' for more information");
  const failOnError = flags.f || flags.fail;
  const silent = flags.s || flags.silent;
  const showError = flags.S || flags['show-error'];
  const output = flagValue(flags, 'o') ?? flagValue(flags, 'output');
  // -O names the first URL's file; --remote-name-all every URL's (the cilium-cli README uses it).
  const remoteNames = flags['remote-name-all'] ? positional.length : flags.O || flags['remote-name'] ? 1 : 0;
  for (const [index, url] of positional.entries()) {
    const body = fetchCanned(url);
    if (!body) {
      if (failOnError) fail(22, !silent || showError ? 'curl: (22) The requested URL returned error: 404' : '');
      process.stdout.write('404: Not Found');
      continue;
    }
    const target = index === 0 && output ? output : index < remoteNames ? url.split('/').pop() : undefined;
    if (target && target !== '-') {
      try {
        writeFileSync(target, body);
      } catch (error) {
        fail(23, `curl: (23) Failure writing output to destination, passed ${body.length} returned 0 (${error.code})`);
      }
    } else process.stdout.write(body);
  }
  return 0;
}

async function gpg(argv) {
  const { flags, positional } = parseArgs(argv, { withValue: ['o', 'output', 'homedir', 'keyring'] });
  if (!flags.dearmor && !flags.enarmor) fail(2, 'gpg: the fleet stand-in only supports --dearmor');
  const input = positional[0] && positional[0] !== '-' ? readFileSync(positional[0]) : await readStdin();
  const text = input.toString('utf8');
  if (!text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) fail(2, 'gpg: no valid OpenPGP data found.');
  // A "binary" keyring that apt-get update recognises as the fleet's key.
  const dearmored = Buffer.concat([Buffer.from([0x99, 0x01, 0x8d]), Buffer.from(`K8SB-FLEET-KEY ${createHash('sha256').update(text).digest('hex')}\n`)]);
  const output = flagValue(flags, 'o') ?? flagValue(flags, 'output');
  if (!output || output === '-') {
    process.stdout.write(dearmored);
    return 0;
  }
  if (existsSync(output) && !flags.yes) fail(2, `gpg: cannot open '/dev/tty': No such device or address\nFile '${output}' exists. Overwrite? (y/N) `);
  try {
    writeFileSync(output, dearmored, { mode: 0o644 });
  } catch (error) {
    fail(2, `gpg: can't create '${output}': ${error.code === 'EACCES' ? 'Permission denied' : error.message}\ngpg: dearmoring failed: ${error.code === 'EACCES' ? 'Permission denied' : error.message}`);
  }
  return 0;
}

function readStdin() {
  return new Promise((resolve) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks)));
    process.stdin.on('error', () => resolve(Buffer.concat(chunks)));
  });
}
