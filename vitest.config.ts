import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The slowest files, slowest first (alone on the 2-core CI machine). Starting them first lets the
 * two workers finish together instead of one running a long file at the end. Vitest's own sort
 * (cached durations, longest first) is used once every file has one; this list is for a cold
 * cache (a fresh checkout), where vitest would sort by file size.
 */
const SLOWEST_FIRST = [
  // Measured in a fresh-clone CI run of 2026-12-03 (seconds): 105, 77, 70, 55, 54, 54, 50, 50, 47, 47, …
  'test/e2e/cluster/cloud-integration.test.ts',
  'test/e2e/cluster/upgrade.test.ts',
  'test/e2e/cluster/real-hosts.test.ts',
  'test/e2e/tools/terraform/control-plane-numbers.test.ts',
  'test/e2e/cluster/resume-kill.test.ts',
  'test/e2e/tools/terraform/aws-plan.test.ts',
  'test/e2e/cluster/addons.test.ts',
  'test/e2e/cluster/drains.test.ts',
  'test/e2e/cluster/control-plane-cloud.test.ts',
  'test/e2e/cluster/control-plane.test.ts',
  'test/e2e/cluster/ha-lifecycle.test.ts',
  'test/fleet/fleet-realism.test.ts',
  'test/fleet/fleet-helm.test.ts',
  'test/e2e/cli/newcomer.test.ts',
  'test/e2e/cluster/remove-workers.test.ts',
  'test/fleet/fleet-cloud.test.ts',
  'test/e2e/cluster/restore-ha.test.ts',
  'test/e2e/cluster/certs.test.ts',
  'test/e2e/cluster/interrupt.test.ts',
  'test/e2e/cluster/upgrade-resume.test.ts',
  'test/e2e/security/secret-search.test.ts',
  'test/e2e/cluster/add-workers.test.ts',
  'test/e2e/cluster/init-cloud.test.ts',
  'test/fleet/fleet.test.ts',
  'test/e2e/tools/prepare-script.test.ts',
  'test/e2e/cluster/init-faults.test.ts',
  'test/e2e/cluster/exoscale-remove-workers.test.ts',
  'test/e2e/tools/terraform/init.test.ts',
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const key = (file: TestSpecification) => relative(this.ctx.config.root, file.moduleId);
    const cached = files.every((file) => this.ctx.cache.getFileTestResults(`${file.project.name}:${key(file)}`));
    const sorted = await super.sort(files);
    if (cached) return sorted;
    const rank = (file: TestSpecification) => {
      const index = SLOWEST_FIRST.indexOf(key(file));
      return index === -1 ? SLOWEST_FIRST.length : index;
    };
    return sorted.map((file, index) => ({ file, index })).sort((a, b) => rank(a.file) - rank(b.file) || a.index - b.index).map(({ file }) => file);
  }
}

/**
 * Two projects: `unit` runs in-process (no root, no network; of outside programs only a base
 * system's sh, openssl and tar) and takes about a minute; `e2e` drives real programs (the fleet's
 * sshd nodes, terraform, packer, ssh-keygen, tmux, the built CLI) and needs root for the fleet's
 * namespaces. `npm test` runs both, `npm run test:unit` one.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    // One TMPDIR per run, removed at the end; the users a root run added, removed too.
    globalSetup: ['test/helpers/global-setup.ts'],
    hookTimeout: 120_000,
    // e2e suites own real sshd processes and namespaces; keep files isolated.
    pool: 'forks',
    // Vitest's default (one core less than the machine) runs one file at a time on the 2-core CI
    // machine; the e2e files mostly wait on sshd and stand-in processes (process accounting: the
    // two cores were 67 % busy with two workers), so three overlap well.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    sequence: { sequencer: SlowestFirst },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts', 'test/fleet/**/*.test.ts'] } },
    ],
  },
});
