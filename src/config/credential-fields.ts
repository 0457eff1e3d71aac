/**
 * A credential written into cluster.yaml (provider.apiSecret, accessKeyId, password, …) is not a
 * typo to correct with "did you mean": it belongs in the environment, where the tool and the
 * clouds' own tools read it, and never in a file that is shared and committed. This names the
 * variable instead. The value is never echoed.
 */

interface CredentialKey {
  /** Field names, lower-case without "-" and "_". */
  names: string[];
  variable: string;
}

const BY_PROVIDER: Record<string, { keys: CredentialKey[]; all: string }> = {
  exoscale: {
    keys: [
      { names: ['apikey', 'key', 'exoscaleapikey'], variable: 'EXOSCALE_API_KEY' },
      { names: ['apisecret', 'secret', 'exoscaleapisecret'], variable: 'EXOSCALE_API_SECRET' },
    ],
    all: 'EXOSCALE_API_KEY and EXOSCALE_API_SECRET',
  },
  aws: {
    keys: [
      { names: ['accesskeyid', 'accesskey', 'awsaccesskeyid', 'keyid'], variable: 'AWS_ACCESS_KEY_ID' },
      { names: ['secretaccesskey', 'secretkey', 'awssecretaccesskey', 'secret'], variable: 'AWS_SECRET_ACCESS_KEY' },
      { names: ['sessiontoken', 'awssessiontoken', 'token'], variable: 'AWS_SESSION_TOKEN' },
      { names: ['profile', 'awsprofile'], variable: 'AWS_PROFILE' },
    ],
    all: 'AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
  },
  openstack: {
    keys: [
      { names: ['password', 'ospassword'], variable: 'OS_PASSWORD' },
      { names: ['username', 'user', 'osusername'], variable: 'OS_USERNAME' },
      { names: ['applicationcredentialid'], variable: 'OS_APPLICATION_CREDENTIAL_ID' },
      { names: ['applicationcredentialsecret', 'secret'], variable: 'OS_APPLICATION_CREDENTIAL_SECRET' },
      { names: ['token', 'authtoken', 'ostoken'], variable: 'OS_TOKEN' },
      { names: ['authurl', 'osauthurl'], variable: 'OS_AUTH_URL' },
    ],
    all: 'OS_CLOUD (an entry of clouds.yaml) or the OS_* variables',
  },
};

/** Names that are a credential whatever the provider. */
const GENERIC = ['password', 'passwd', 'passphrase', 'token', 'secret', 'apikey', 'apisecret', 'accesskeyid', 'secretaccesskey', 'sessiontoken', 'credentials'];

/** AWS-style key names, as a Velero section would spell them. */
const AWS_KEYS = ['accesskeyid', 'accesskey', 'secretaccesskey', 'secretkey', 'awsaccesskeyid', 'awssecretaccesskey'];

const squash = (key: string) => key.toLowerCase().replace(/[-_]/g, '');

/** For an unknown field: the sentence and fix when it is a credential, else undefined. */
export function credentialFieldIssue(provider: unknown, path: readonly PropertyKey[], key: string): { message: string; fix: string } | undefined {
  const name = squash(key);
  const known = typeof provider === 'string' ? BY_PROVIDER[provider] : undefined;
  const underProvider = path.length > 0 && path[0] === 'provider';
  // Velero's S3 keys have variables of their own (config/addons.ts VELERO_S3_VARIABLES).
  if (path[0] === 'addons' && path[1] === 'velero' && (GENERIC.includes(name) || AWS_KEYS.includes(name))) {
    return { message: 'credentials never go in cluster.yaml', fix: 'set K8SB_VELERO_S3_ACCESS_KEY_ID and K8SB_VELERO_S3_SECRET_ACCESS_KEY in the environment instead (the tool puts them into the Secret velero/velero-s3), and remove this field' };
  }
  // Outside provider: a password or token is still a secret, but not the cloud's: no variable to name.
  if (!underProvider) {
    return GENERIC.includes(name) ? { message: 'secrets never go in cluster.yaml', fix: 'remove this field (cloud credentials go in the provider\'s environment variables: k8s-bootstrap doctor lists them)' } : undefined;
  }
  const match = known?.keys.find((entry) => entry.names.includes(name));
  if (!match && !GENERIC.includes(name)) return undefined;
  const variable = match?.variable ?? known?.all ?? 'the provider\'s environment variables (k8s-bootstrap doctor lists them)';
  return {
    message: 'credentials never go in cluster.yaml',
    fix: `use ${variable} in the environment instead, and remove this field`,
  };
}
