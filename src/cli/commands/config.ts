/** `config`: cluster.yaml's JSON Schema, an example, and validation, as sub-commands. */
import { PROVIDERS } from '../../config/schema.js';
import { choice, defineCommand, type OptionsOf } from '../command.js';

const exampleOptions = {
  provider: choice('<provider>', 'provider of the example', PROVIDERS, { default: 'exoscale' }),
};

export type ConfigExampleFlags = OptionsOf<typeof exampleOptions>;

export const config = defineCommand({
  name: 'config',
  summary: 'Work with cluster.yaml: its JSON Schema, an example, validation',
  examples: ['k8s-bootstrap config schema > cluster.schema.json', 'k8s-bootstrap config example --provider static', 'k8s-bootstrap config validate cluster.yaml'],
  subcommands: [
    defineCommand({
      name: 'schema',
      summary: 'Print the JSON Schema of cluster.yaml',
      examples: ['k8s-bootstrap config schema > cluster.schema.json'],
      load: async () => (await import('../handlers/config.js')).runConfigSchema,
    }),
    defineCommand({
      name: 'example',
      summary: 'Print an example cluster.yaml',
      examples: ['k8s-bootstrap config example', 'k8s-bootstrap config example --provider static'],
      options: exampleOptions,
      load: async () => (await import('../handlers/config.js')).runConfigExample,
    }),
    defineCommand({
      name: 'validate',
      // The file as an argument, as people type it; -c/--config and K8SB_CONFIG still work.
      arguments: '[file]',
      summary: 'Validate a cluster.yaml (the argument, or --config) and print the problems',
      examples: ['k8s-bootstrap config validate cluster.yaml', 'k8s-bootstrap config validate -c cluster.yaml'],
      load: async () => (await import('../handlers/config.js')).runConfigValidate,
    }),
  ],
});
