/**
 * Terraform provider version constraints (`~> 0.70`, `>= 3.0, < 4.0`, `= 1.2.3`, `!= 1.0.1`):
 * does a constraint admit a release? Follows Terraform's "Version Constraints" docs
 * (hashicorp/terraform website/docs/language/expressions/version-constraints.mdx @ 06c309c):
 * comma means "and", a bare version means `=`, `~>` lets only the right-most component grow.
 */

type Version = [number, number, number];

function parseVersion(text: string, constraint: string): { version: Version; segments: number } {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`version constraint "${constraint}": cannot read version "${text.trim()}" (pre-releases are not supported here)`);
  const segments = m[3] !== undefined ? 3 : m[2] !== undefined ? 2 : 1;
  return { version: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], segments };
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** True when every comma-separated part of the constraint admits the version. */
export function constraintAdmits(constraint: string, versionText: string): boolean {
  const { version } = parseVersion(versionText, constraint);
  return constraint.split(',').every((part) => {
    const m = /^\s*(~>|>=|<=|!=|=|>|<)?\s*(\S+)\s*$/.exec(part);
    if (!m) throw new Error(`version constraint "${constraint}": cannot read "${part.trim()}"`);
    const op = m[1] ?? '=';
    const { version: bound, segments } = parseVersion(m[2]!, constraint);
    const c = compare(version, bound);
    switch (op) {
      case '=':
        return c === 0;
      case '!=':
        return c !== 0;
      case '>':
        return c > 0;
      case '>=':
        return c >= 0;
      case '<':
        return c < 0;
      case '<=':
        return c <= 0;
      default: {
        // Only the right-most given component may grow: "~> 1.0.4" allows 1.0.10, not 1.1.0;
        // "~> 0.70" allows 0.71, not 1.0.
        if (segments === 1) throw new Error(`version constraint "${constraint}": "~>" with a major version only is ambiguous here; write "~> ${bound[0]}.0"`);
        const fixed = segments - 1;
        return c >= 0 && version.slice(0, fixed).every((v, i) => v === bound[i]);
      }
    }
  });
}
