// The project's `yaml` package (path handed over in fleet.json), loaded only by tools that parse YAML.
import { fleetConfig } from './context.mjs';

let yamlModule;
export async function loadYaml() {
  if (!yamlModule) {
    const imported = await import(fleetConfig().yamlModule);
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
