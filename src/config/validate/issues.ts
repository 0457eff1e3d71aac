/**
 * The two ways a check under config/validate/ turns into ValidationIssues: a field check's
 * Problem (field-checks.ts) at a path, or a value that does not match a pattern.
 */
import type { ValidationIssue } from '../../errors.js';
import type { Problem } from '../field-checks.js';

export function at(path: string, value: unknown, problem: Problem | undefined): ValidationIssue[] {
  if (!problem) return [];
  return [{ path, message: problem.message, value, ...(problem.fix ? { fix: problem.fix } : {}) }];
}

export function matches(path: string, value: string | undefined, pattern: RegExp, message: string, fix?: string): ValidationIssue[] {
  if (value === undefined || pattern.test(value)) return [];
  return [{ path, message, value, ...(fix ? { fix } : {}) }];
}
