/**
 * The wizard's prompt validators, in inquirer's `validate` contract (true, or the message to
 * show). Each wraps a field check of config/field-checks.ts, so a prompt and the spec validation
 * word one mistake the same way.
 */
import {
  blockDeviceProblem,
  cidrProblem,
  controlPlaneCountProblem,
  dnsLabelProblem,
  formatProblem,
  hostAddressProblem,
  kubernetesVersionProblem,
  linuxUserProblem,
  workerCountProblem,
  type Problem,
} from '../config/field-checks.js';

type Validator = (input: string) => true | string;

const asText = (problem: Problem | undefined): true | string => (problem ? formatProblem(problem) : true);

function wholeNumber(input: string): number | undefined {
  return /^\s*\d+\s*$/.test(input) ? Number(input) : undefined;
}

export const validators = {
  name: (input: string) => asText(dnsLabelProblem(input.trim())),
  cidr: (input: string) => asText(cidrProblem(input.trim())),
  kubernetesVersion: (input: string) => asText(kubernetesVersionProblem(input.trim())),
  controlPlaneCount: (input: string | number) => {
    const count = typeof input === 'number' ? input : wholeNumber(input);
    return count === undefined ? 'must be a whole number: 1, 3 or 5' : asText(controlPlaneCountProblem(count));
  },
  workerCount: (input: string | number) => {
    const count = typeof input === 'number' ? input : wholeNumber(input);
    return count === undefined ? 'must be a whole number from 0 to 1000' : asText(workerCountProblem(count));
  },
  /** One CIDR, or several separated by commas. */
  adminCidr: (input: string) => {
    const parts = input.split(',').map((part) => part.trim()).filter((part) => part !== '');
    if (parts.length === 0) return 'give at least one CIDR, e.g. 203.0.113.7/32';
    for (const part of parts) {
      const problem = cidrProblem(part, '203.0.113.0/24');
      if (problem) return `${part} ${formatProblem(problem)}`;
    }
    return true;
  },
  hostAddress: (input: string) => asText(hostAddressProblem(input.trim())),
  linuxUser: (input: string) => asText(linuxUserProblem(input.trim())),
  /** A disk name under /dev; "/dev/sdb" is taken as sdb. */
  blockDevice: (input: string) => asText(blockDeviceProblem(input.trim().replace(/^\/dev\//, ''))),
} satisfies Record<string, Validator | ((input: string | number) => true | string)>;
