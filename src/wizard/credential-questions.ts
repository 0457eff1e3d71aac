/**
 * What the wizard asks when a provider's credentials are not in the environment. Answers live
 * in memory only: they are handed to the tools through the child environment, never written.
 */
import type { ProviderName } from '../config/schema.js';

export interface CredentialQuestion {
  env: string;
  message: string;
  /** Masked while typed. */
  secret: boolean;
  default?: string;
  /** May be left empty (then it is not set). @default false */
  optional?: boolean;
}

export const CREDENTIAL_QUESTIONS: Record<Exclude<ProviderName, 'static'>, CredentialQuestion[]> = {
  exoscale: [
    { env: 'EXOSCALE_API_KEY', message: 'Exoscale API key (EXOSCALE_API_KEY)', secret: true },
    { env: 'EXOSCALE_API_SECRET', message: 'Exoscale API secret (EXOSCALE_API_SECRET)', secret: true },
  ],
  aws: [
    // The key id is an identifier, not a secret (AWS prints it in consoles and logs): shown, so typos can be seen.
    { env: 'AWS_ACCESS_KEY_ID', message: 'AWS access key id (AWS_ACCESS_KEY_ID)', secret: false },
    { env: 'AWS_SECRET_ACCESS_KEY', message: 'AWS secret access key (AWS_SECRET_ACCESS_KEY)', secret: true },
    // Temporary keys (STS, SSO, assumed roles) work only with their session token.
    { env: 'AWS_SESSION_TOKEN', message: 'AWS session token (AWS_SESSION_TOKEN; empty for long-term keys)', secret: true, optional: true },
  ],
  openstack: [
    { env: 'OS_AUTH_URL', message: 'Keystone URL (OS_AUTH_URL)', secret: false },
    { env: 'OS_USERNAME', message: 'User name (OS_USERNAME)', secret: false },
    { env: 'OS_PASSWORD', message: 'Password (OS_PASSWORD)', secret: true },
    { env: 'OS_PROJECT_NAME', message: 'Project (OS_PROJECT_NAME)', secret: false },
    { env: 'OS_USER_DOMAIN_NAME', message: 'User domain (OS_USER_DOMAIN_NAME)', secret: false, default: 'Default' },
    { env: 'OS_PROJECT_DOMAIN_NAME', message: 'Project domain (OS_PROJECT_DOMAIN_NAME)', secret: false, default: 'Default' },
  ],
};
