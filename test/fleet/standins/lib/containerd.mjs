// containerd as an installer meets it: `containerd config default` of the installed build, and
// what the daemon makes of /etc/containerd/config.toml when systemd (re)starts it. The builds
// differ the way the real ones do (containerd source at each tag):
//   - 1.6/1.7 write config version 2 (CRI plugin "io.containerd.grpc.v1.cri"), pause 3.6/3.8;
//     Debian trixie's build compiles /usr/lib/cni in as the CNI bin dir, and both Debian packages
//     ship a config.toml that sets bin_dir = "/usr/lib/cni";
//   - 2.x write version 3 (CRI split into io.containerd.cri.v1.images/runtime). 2.0.0–2.0.6 and
//     2.1.0–2.1.4 omit the runc SystemdCgroup line (containerd #12101, fixed by #12244 and its
//     backports); 2.0 names the CNI dir `bin_dir`, 2.1+ `bin_dirs` (plus a deprecated empty
//     `bin_dir`; both set to other values is a start-up error); 2.2 adds the conf.d imports line;
//   - containerd 1.x cannot read version 3 and refuses to start.
import { existsSync, readFileSync } from 'node:fs';
import { nodeState } from './context.mjs';
import { parseToml, TomlError, lookup } from './toml.mjs';

export const CONFIG_FILE = '/etc/containerd/config.toml';

/** Which containerd is installed: { package, version: '2.1.4', major, minor, debianBuild } or null. */
export function installedContainerd(state = nodeState()) {
  for (const pkg of ['containerd.io', 'containerd']) {
    const full = state.packages.installed[pkg];
    if (!full) continue;
    const match = /^(?:\d+:)?(\d+)\.(\d+)\.(\d+)/.exec(full);
    if (!match) continue;
    // Debian's own builds carry "~ds" (repacked upstream source) in their version.
    const debianBuild = pkg === 'containerd' && /~ds\d/.test(full) && (state.distro?.id ?? 'ubuntu') === 'debian';
    const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
    return { package: pkg, full, version: `${major}.${minor}.${patch}`, major, minor, patch, debianBuild };
  }
  return null;
}

// Debian patches the compiled default only from 1.7 (trixie); bookworm's 1.6 sets it in the shipped file.
const defaultCniDir = (build) => (build.debianBuild && build.minor >= 7 ? '/usr/lib/cni' : '/opt/cni/bin');
function defaultSandbox(build) {
  if (build.major < 2) return build.minor >= 7 ? 'registry.k8s.io/pause:3.8' : 'registry.k8s.io/pause:3.6';
  return build.minor >= 2 ? 'registry.k8s.io/pause:3.10.1' : 'registry.k8s.io/pause:3.10';
}
/** Builds whose `config default` lists SystemdCgroup under the runc options. */
const printsSystemdCgroup = (build) => build.major < 2 || build.minor >= 2 || (build.minor === 1 && build.patch >= 5) || (build.minor === 0 && build.patch >= 7);

/** `containerd config default` of a build (the parts an installer edits, in their real tables). */
export function configDefault(build) {
  if (build.major < 2) {
    return `disabled_plugins = []
imports = []
oom_score = 0
required_plugins = []
root = "/var/lib/containerd"
state = "/run/containerd"
version = 2

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins]

  [plugins."io.containerd.grpc.v1.cri"]
    enable_selinux = false
    sandbox_image = "${defaultSandbox(build)}"

    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "${defaultCniDir(build)}"
      conf_dir = "/etc/cni/net.d"

    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      snapshotter = "overlayfs"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]

        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"

          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            BinaryName = ""
            SystemdCgroup = false
`;
  }
  const systemdLine = printsSystemdCgroup(build) ? "\n            SystemdCgroup = false" : '';
  const cniKey = build.minor >= 1 ? "bin_dir = ''\n      bin_dirs = ['/opt/cni/bin']" : "bin_dir = '/opt/cni/bin'";
  const imports = build.minor >= 2 ? "['/etc/containerd/conf.d/*.toml']" : '[]';
  return `version = 3
root = '/var/lib/containerd'
state = '/run/containerd'
disabled_plugins = []
imports = ${imports}
required_plugins = []
oom_score = 0

[grpc]
  address = '/run/containerd/containerd.sock'

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'

    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = '${defaultSandbox(build)}'

  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false

    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'

      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes]
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
          runtime_type = 'io.containerd.runc.v2'

          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
            BinaryName = ''${systemdLine}

    [plugins.'io.containerd.cri.v1.runtime'.cni]
      ${cniKey}
      conf_dir = '/etc/cni/net.d'
`;
}

/** The config.toml Docker's containerd.io package ships: only the CRI plugin disabled. */
export const DOCKER_STOCK_CONFIG = `#   Copyright 2018-2022 Docker Inc.

#   Licensed under the Apache License, Version 2.0 (the "License");
#   you may not use this file except in compliance with the License.
#   You may obtain a copy of the License at

#       http://www.apache.org/licenses/LICENSE-2.0

#   Unless required by applicable law or agreed to in writing, software
#   distributed under the License is distributed on an "AS IS" BASIS,
#   WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
#   See the License for the specific language governing permissions and
#   limitations under the License.

disabled_plugins = ["cri"]

#root = "/var/lib/containerd"
#state = "/run/containerd"
#subreaper = true
#oom_score = 0

#[grpc]
#  address = "/run/containerd/containerd.sock"
#  uid = 0
#  gid = 0
`;

/**
 * What a starting containerd makes of its config file: { ok, error } or the effective CRI
 * settings { criEnabled, systemdCgroup, cniBinDirs, sandbox, configVersion }. No file means
 * the build's defaults.
 */
export function effectiveConfig(build, file = CONFIG_FILE) {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : configDefault(build);
  let config;
  try {
    config = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) return { ok: false, error: `failed to load TOML from ${file}: ${error.message}` };
    throw error;
  }
  const version = config.version ?? 1;
  if (version >= 3 && build.major < 2) return { ok: false, error: `containerd: failed to load TOML from ${file}: unsupported config version \`${version}\`` };
  if (version < 2) return { ok: false, error: `containerd: ${file}: config version 1 is not supported, migrate with "containerd config migrate"` };
  const disabled = (config.disabled_plugins ?? []).map(String);
  const v3 = version >= 3;
  const cri = v3 ? ['plugins', 'io.containerd.cri.v1.runtime'] : ['plugins', 'io.containerd.grpc.v1.cri'];
  const criEnabled = !disabled.some((name) => ['cri', 'io.containerd.grpc.v1.cri', 'io.containerd.cri.v1.runtime', 'io.containerd.cri.v1.images'].includes(name));
  const systemdCgroup = lookup(config, [...cri, 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup']) === true;
  const cniTable = lookup(config, [...cri, 'cni']) ?? {};
  let dirs = cniTable.bin_dirs ?? [defaultCniDir(build)];
  if (cniTable.bin_dir) {
    // 2.1+: a bin_dir moves into bin_dirs while bin_dirs is at its default (config.go @v2.1.0).
    if (cniTable.bin_dirs && JSON.stringify(cniTable.bin_dirs) !== JSON.stringify([defaultCniDir(build)])) {
      return { ok: false, error: 'containerd: `cni.bin_dir` and `cni.bin_dirs` cannot be set at the same time' };
    }
    dirs = [cniTable.bin_dir];
  }
  const sandbox = v3 ? lookup(config, ['plugins', 'io.containerd.cri.v1.images', 'pinned_images', 'sandbox']) : lookup(config, [...cri, 'sandbox_image']);
  return { ok: true, configVersion: version, criEnabled, systemdCgroup, cniBinDirs: dirs.map(String), sandbox: sandbox ?? defaultSandbox(build) };
}

/**
 * containerd as it runs now: what it loaded at its last (re)start, or, for a containerd
 * that was already running when the image booted, what it loads from `configFile`.
 */
export function currentRuntime(state, configFile = CONFIG_FILE) {
  if (!state.services.containerd?.running) return null;
  if (state.runtime?.kind === 'containerd') return state.runtime;
  const build = installedContainerd(state);
  const config = build && effectiveConfig(build, configFile);
  return config?.ok ? { kind: 'containerd', ...config } : null;
}

/** Why pods cannot get a network on this runtime, or null (CNI plugins live in /opt/cni/bin). */
export function cniPluginProblem(runtime) {
  if (!runtime || runtime.kind !== 'containerd') return null;
  if (runtime.cniBinDirs?.includes('/opt/cni/bin')) return null;
  return `failed to find plugin "loopback" in path [${(runtime.cniBinDirs ?? []).join(' ')}]`;
}
