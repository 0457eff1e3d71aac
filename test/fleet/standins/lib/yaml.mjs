// The project's `yaml` package (bundled with the stand-ins by fleet.ts), loaded only by tools that parse YAML.

let yamlModule;
export async function loadYaml() {
  if (!yamlModule) {
    const imported = await import('yaml');
    yamlModule = imported.parseAllDocuments ? imported : imported.default;
  }
  return yamlModule;
}

/** All documents of a multi-doc YAML text, as plain objects (empty documents dropped). */
export async function parseDocuments(text) {
  const YAML = await loadYaml();
  return YAML.parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors?.length) throw new Error(doc.errors[0].message);
      return doc.toJSON();
    })
    .filter((doc) => doc !== null && doc !== undefined);
}
