/**
 * Template errors are the tool's own (a wrong name, a damaged install): BootstrapErrors with a
 * code and a hint, so the CLI prints them as `Error: …` with exit 1, never as "Unexpected error".
 * (No CLI input reaches a template name, so this checks the errors themselves, not main().)
 */
import { describe, expect, it } from 'vitest';
import { BootstrapError, InternalError } from '../../../src/errors.js';
import { readTemplate, renderTemplate, templatePath, TemplateError, templatesNotFound } from '../../../src/tools/template.js';

describe('TemplateError', () => {
  it('is an internal BootstrapError with exit code 1 and a hint', () => {
    const error = templatesNotFound('templates/', '/opt/k8s-bootstrap/dist/tools');
    expect(error).toBeInstanceOf(TemplateError);
    expect(error).toBeInstanceOf(InternalError);
    expect(error).toBeInstanceOf(BootstrapError);
    expect(error).toMatchObject({ name: 'TemplateError', code: 'TemplatesNotFound', source: 'internal', exitCode: 1 });
    expect(error.message).toBe('templates/ folder not found above /opt/k8s-bootstrap/dist/tools');
    expect(error.hint).toMatch(/install k8s-bootstrap again/);
  });

  it('names the missing file when a template does not exist', async () => {
    const error = await readTemplate('scripts', 'no-such-script.sh').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateError);
    expect(error).toMatchObject({ code: 'TemplateNotFound', exitCode: 1 });
    expect((error as TemplateError).message).toContain('templates/scripts/no-such-script.sh does not exist');
    expect((error as TemplateError).hint).toBeDefined();
  });

  it('carries a code for each way a render fails', () => {
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(TemplateError);
        return (error as TemplateError).code;
      }
      return 'no error';
    };
    expect(codeOf(() => renderTemplate('{{a}}', {}))).toBe('TemplateValueMissing');
    expect(codeOf(() => renderTemplate('{{a}}', { a: 1, b: 2 }))).toBe('TemplateVariableUnknown');
    expect(codeOf(() => templatePath('..', 'package.json'))).toBe('TemplateOutsideRoot');
  });

  it('reads a template that exists', async () => {
    expect(await readTemplate('scripts', 'prepare-node.sh')).toMatch(/^#!/);
  });
});
