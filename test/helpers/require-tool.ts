/**
 * Tests that need a real tool (terraform, packer, sshd, root, namespaces) skip with a printed
 * reason on a laptop without it. CI sets K8SB_REQUIRE_TOOLS=1, which turns every such skip into a
 * failure, so CI always runs them.
 */
import { execFileSync } from 'node:child_process';

export function requireToolsMode(): boolean {
  const value = process.env.K8SB_REQUIRE_TOOLS;
  return value !== undefined && value !== '' && value !== '0';
}

export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v "$1"`, 'sh', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns undefined when the requirement holds; otherwise the reason, after printing it.
 * Throws instead when K8SB_REQUIRE_TOOLS is set. Use with `describe.skipIf(reason)` / `it.skipIf`.
 */
export function missingRequirement(ok: boolean, reason: string): string | undefined {
  if (ok) return undefined;
  if (requireToolsMode()) throw new Error(`K8SB_REQUIRE_TOOLS is set but: ${reason}`);
  console.warn(`[skip] ${reason}`);
  return reason;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
