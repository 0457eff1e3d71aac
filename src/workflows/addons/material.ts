/**
 * The secret material the add-on plans render their Secrets from, gathered once per run: the
 * monitoring passwords (generated once into secrets/addons/kube-prometheus-stack.json and reused
 * after) and Velero's S3 keys (from the environment, never written here). Every value is
 * registered for redaction before a plan is built from it.
 *
 * A generated password is shown once, to the person at the terminal only: the host's `reveal`
 * (the CLI passes one only when stderr is a terminal, and prints it outside every event and log).
 * Without one, the run says only where the file is.
 */
import type { SecretSet } from '../../engine/redact.js';
import { readVeleroS3Credentials } from '../../config/addons.js';
import type { AddonName } from '../../kube/addons/pins.js';
import type { AddonSecretMaterial } from '../../kube/addons/plan.js';
import { monitoringSecrets } from '../../state/addon-secrets.js';
import type { ClusterDir } from '../../state/cluster-dir.js';

export interface AddonMaterialOptions {
  dir: ClusterDir;
  env: Record<string, string | undefined>;
  secrets: SecretSet;
  /** Write generated passwords (a run under the lock); false: a read-only diff keeps them in memory. */
  save: boolean;
  /** Shows a line to the person at the terminal, outside events and logs (see the module comment). */
  reveal?: (text: string) => void;
  /** A line of the run (the file's path when nothing is revealed). */
  say?: (text: string) => void;
}

/** The material of the named add-ons, gathered once (each part at most once per source). */
export class AddonMaterialSource {
  private monitoring?: Promise<AddonSecretMaterial['monitoring']>;

  constructor(private readonly options: AddonMaterialOptions) {}

  async forAddons(names: readonly AddonName[]): Promise<AddonSecretMaterial> {
    const material: AddonSecretMaterial = {};
    if (names.includes('kube-prometheus-stack')) material.monitoring = await (this.monitoring ??= this.loadMonitoring());
    if (names.includes('velero')) {
      const keys = readVeleroS3Credentials(this.options.env);
      if (keys) {
        this.options.secrets.add(keys.accessKeyId, keys.secretAccessKey);
        material.velero = { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey };
      }
    }
    return material;
  }

  private async loadMonitoring(): Promise<AddonSecretMaterial['monitoring']> {
    const { secrets, path, created } = await monitoringSecrets(this.options.dir, { save: this.options.save });
    this.options.secrets.add(secrets.basicAuthPassword, secrets.grafanaPassword);
    if (created && this.options.save) {
      const where = `kept in ${path}`;
      if (this.options.reveal) {
        this.options.reveal(`Monitoring: user admin, password ${secrets.basicAuthPassword} (basic auth of the Grafana, Prometheus and Alertmanager Ingresses); Grafana: user admin, password ${secrets.grafanaPassword} (shown once; ${where})`);
        this.options.say?.(`monitoring passwords generated; ${where}`);
      } else {
        this.options.say?.(`monitoring passwords generated for user admin (basic auth of the Ingresses, and Grafana); ${where} (0600)`);
      }
    }
    return { basicAuthPassword: secrets.basicAuthPassword, grafanaPassword: secrets.grafanaPassword, htpasswdSalt: secrets.htpasswdSalt };
  }
}

/**
 * Material for plans built only to be read (a dry run's step list, the phases' titles): never
 * rendered into anything that runs. Secrets' content changes with real material, which is why a
 * step with Secrets carries a per-run nonce in its inputs.
 */
export const PLACEHOLDER_MATERIAL: AddonSecretMaterial = {
  monitoring: { basicAuthPassword: 'placeholder-not-used', grafanaPassword: 'placeholder-not-used', htpasswdSalt: 'plchldr' },
  velero: { accessKeyId: 'placeholder-not-used', secretAccessKey: 'placeholder-not-used' },
};
