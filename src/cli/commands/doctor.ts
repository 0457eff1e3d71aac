/** `doctor`: is this machine ready to run k8s-bootstrap (tools on PATH, provider credentials)? */
import { PROVIDERS } from '../../config/schema.js';
import { choice, defineCommand, type OptionsOf } from '../command.js';

const options = {
  provider: choice('<provider>', "check this provider's credentials", PROVIDERS),
};

export type DoctorFlags = OptionsOf<typeof options>;

export const doctor = defineCommand({
  name: 'doctor',
  summary: 'Check this machine: terraform/tofu, packer, ssh, and the provider credentials',
  examples: ['k8s-bootstrap doctor', 'k8s-bootstrap doctor --provider aws'],
  options,
  load: async () => (await import('../handlers/doctor.js')).runDoctor,
});
