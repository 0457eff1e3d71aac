/**
 * Every secret value this run knows (cloud keys from env, join token, certificate key, private
 * key, kubeconfig data). The redactor reads it on each event, so values learned mid-run count.
 */
export class SecretRegistry {
  private readonly values = new Set<string>();

  add(...values: Array<string | undefined>): void {
    for (const value of values) {
      if (!value) continue;
      const trimmed = value.trim();
      // Very short values would redact ordinary words; the redactor's patterns cover the formats.
      if (trimmed.length >= 6) this.values.add(trimmed);
      // Multi-line secrets (PEM, kubeconfig) are also matched line by line, as output arrives in lines.
      for (const line of trimmed.split('\n')) if (line.trim().length >= 16) this.values.add(line.trim());
    }
  }

  list(): string[] {
    return [...this.values];
  }
}
