/**
 * Offline provider mirrors (K8SB_TF_PLUGIN_DIR, `init -plugin-dir`) for OpenTofu.
 *
 * A mirror is laid out by registry host: <host>/<namespace>/<type>/<version>/<os_arch>/ (unpacked)
 * or <host>/<namespace>/<type>/terraform-provider-<type>_<version>_<os_arch>.zip (packed). The
 * modules write short sources ("hashicorp/aws"), which Terraform reads as registry.terraform.io/…
 * and OpenTofu as registry.opentofu.org/… (opentofu/opentofu internal/addrs/provider.go,
 * DefaultProviderRegistryHost), so a mirror made for Terraform offers OpenTofu nothing.
 *
 * For tofu the driver therefore builds a view of the mirror: the same packages linked under
 * registry.opentofu.org. Only the packages themselves may be symlinks: the mirror search walks
 * real directories and ignores symlinks above <type> (opentofu internal/getproviders/
 * filesystem_search.go, SearchLocalDirectory; the same code as Terraform's). `tofu init` then links
 * .terraform/providers/… to the package path in the view (package_location_local_dir.go), so the
 * view must stay where it is: it lives in the working dir, not in a temp dir.
 */
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, rm, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const TERRAFORM_REGISTRY_HOST = 'registry.terraform.io';
export const OPENTOFU_REGISTRY_HOST = 'registry.opentofu.org';
/** Where, inside the working dir, the tofu view of the mirror is kept. */
export const TOFU_MIRROR_VIEW_DIR = '.tofu-plugin-mirror';

async function directories(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Links every provider package under `fromHostDir` (a mirror's <host> folder) into `toHostDir`,
 * with real directories down to <type>/<version>; `skip(namespace, type)` leaves a provider out.
 * Returns how many packages were linked.
 */
export async function linkProviderPackages(fromHostDir: string, toHostDir: string, skip: (namespace: string, type: string) => boolean = () => false): Promise<number> {
  let linked = 0;
  for (const namespace of await directories(fromHostDir)) {
    for (const type of await directories(join(fromHostDir, namespace))) {
      if (skip(namespace, type)) continue;
      const from = resolve(fromHostDir, namespace, type);
      const to = join(toHostDir, namespace, type);
      for (const entry of await readdir(from, { withFileTypes: true })) {
        if (entry.isFile() && entry.name.endsWith('.zip')) {
          await mkdir(to, { recursive: true });
          await symlink(join(from, entry.name), join(to, entry.name));
          linked += 1;
        } else if (entry.isDirectory()) {
          for (const platform of await directories(join(from, entry.name))) {
            await mkdir(join(to, entry.name), { recursive: true });
            await symlink(join(from, entry.name, platform), join(to, entry.name, platform));
            linked += 1;
          }
        }
      }
    }
  }
  return linked;
}

/**
 * The -plugin-dir values for `tofu init` with `mirror`: the mirror itself, plus (rebuilt each time)
 * a view in `workDir` with its registry.terraform.io packages under registry.opentofu.org, for
 * the providers the mirror does not already hold under that host.
 */
export async function tofuPluginDirs(mirror: string, workDir: string): Promise<string[]> {
  const view = join(resolve(workDir), TOFU_MIRROR_VIEW_DIR);
  if ((await lstat(view).catch(() => undefined)) !== undefined) await rm(view, { recursive: true, force: true });
  const own = join(mirror, OPENTOFU_REGISTRY_HOST);
  const linked = await linkProviderPackages(join(mirror, TERRAFORM_REGISTRY_HOST), join(view, OPENTOFU_REGISTRY_HOST), (namespace, type) =>
    existsSync(join(own, namespace, type)),
  );
  return linked > 0 ? [mirror, view] : [mirror];
}
