// curl and gpg. curl NEVER touches the network: known release URLs answer with canned files
// (test/fleet/canned), anything else is a 404.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fail, flagValue, parseArgs, thisNode } from './context.mjs';

const canned = (name) => readFileSync(`${thisNode().fleetRoot}/canned/${name}`);

/** URL → canned body. Order matters: first match wins. */
const ROUTES = [
  [/^https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v\d+\.\d+\/deb\/Release\.key$/, () => canned('release-key.asc')],
  [/^https:\/\/download\.opensuse\.org\/repositories\/isv:\/cri-o:\/stable:\/v\d+\.\d+\/deb\/Release\.key$/, () => canned('release-key.asc')],
  [/^https:\/\/raw\.githubusercontent\.com\/cilium\/cilium-cli\/main\/stable\.txt$/, () => Buffer.from('v0.18.7\n')],
  [/^https:\/\/github\.com\/cilium\/cilium-cli\/releases\/download\/v[\d.]+\/cilium-linux-(amd64|arm64)\.tar\.gz$/, () => canned('cilium-linux.tar.gz')],
  [
    /^https:\/\/github\.com\/cilium\/cilium-cli\/releases\/download\/v[\d.]+\/(cilium-linux-(amd64|arm64)\.tar\.gz)\.sha256sum$/,
    (match) => Buffer.from(`${createHash('sha256').update(canned('cilium-linux.tar.gz')).digest('hex')}  ${match[1]}\n`),
  ],
  [/^https:\/\/raw\.githubusercontent\.com\/projectcalico\/calico\/v[\d.]+\/manifests\/operator-crds\.yaml$/, () => canned('calico-operator-crds.yaml')],
  [/^https:\/\/raw\.githubusercontent\.com\/projectcalico\/calico\/v[\d.]+\/manifests\/tigera-operator\.yaml$/, () => canned('calico-tigera-operator.yaml')],
  [/^https:\/\/raw\.githubusercontent\.com\/projectcalico\/calico\/v[\d.]+\/manifests\/custom-resources\.yaml$/, () => canned('calico-custom-resources.yaml')],
  [/^https:\/\/github\.com\/flannel-io\/flannel\/releases\/(latest\/download|download\/v[\d.]+)\/kube-flannel\.yml$/, () => canned('kube-flannel.yml')],
];

export function fetchCanned(url) {
  for (const [pattern, body] of ROUTES) {
    const match = pattern.exec(url);
    if (match) return body(match);
  }
  return null;
}

export async function run(tool, argv) {
  return tool === 'curl' ? curl(argv) : gpg(argv);
}

function curl(argv) {
  const { flags, positional } = parseArgs(argv, { withValue: ['o', 'output', 'H', 'header', 'm', 'max-time', 'connect-timeout', 'retry', 'A', 'user-agent', 'w'] });
  const url = positional[0];
  if (!url) fail(2, "curl: try 'curl --help' or 'curl --manual' for more information");
  const failOnError = flags.f || flags.fail;
  const silent = flags.s || flags.silent;
  const showError = flags.S || flags['show-error'];
  const body = fetchCanned(url);
  if (!body) {
    if (failOnError) fail(22, !silent || showError ? 'curl: (22) The requested URL returned error: 404' : '');
    process.stdout.write('404: Not Found');
    return 0;
  }
  const output = flagValue(flags, 'o') ?? flagValue(flags, 'output') ?? (flags.O ? url.split('/').pop() : undefined);
  if (output && output !== '-') {
    try {
      writeFileSync(output, body);
    } catch (error) {
      fail(23, `curl: (23) Failure writing output to destination, passed ${body.length} returned 0 (${error.code})`);
    }
  } else process.stdout.write(body);
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
