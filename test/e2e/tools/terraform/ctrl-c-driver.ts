/**
 * TEST ONLY (run by ctrl-c.test.ts with `node --import tsx`): the CLI's Ctrl-C policy
 * (createInterruptController) around the real driver, applying a saved plan. The test starts this
 * in a session of its own and sends SIGINT to the whole process group, as a terminal does.
 *
 * stdout: one JSON object per line — {"line": …} for each line of the tool, {"started": address}
 * when an apply hook starts, and {"done": code} at the end (not after a forced exit).
 */
import { createInterruptController } from '../../../../src/cli/interrupt.js';
import { runTool } from '../../../../src/tools/subprocess.js';
import { TerraformCli } from '../../../../src/tools/terraform.js';

const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
const interrupt = createInterruptController(io);

/**
 * A tool that, unlike terraform_data, stays busy after its first SIGINT (as Terraform does while a
 * provider waits on a cloud API) and exits 1 s after its second: shows how a second Ctrl-C is
 * passed on and waited for.
 */
const STAND_IN = `
let count = 0;
process.on('SIGINT', () => {
  count += 1;
  console.log('interrupt ' + count);
  if (count === 2) setTimeout(() => { console.log('stand-in exits'); process.exit(3); }, 1000);
});
console.log('stand-in ready');
setInterval(() => {}, 1000);
`;

async function runStandIn(): Promise<void> {
  await runTool(process.execPath, ['-e', STAND_IN], {
    signal: interrupt.signal,
    processGroup: true,
    killSignal: 'SIGINT',
    forceKillAfterMs: 60_000,
    onLine: (line) => say({ line }),
  });
}

async function runTerraform(dir: string, binary: string, planFile: string): Promise<void> {
  const terraform = new TerraformCli({
    dir,
    binary,
    lockTimeout: '10s',
    signal: interrupt.signal,
    onLine: (line) => say({ line }),
    onEvent: (event) => {
      if (event.type === 'apply_start') say({ started: event.address });
    },
  });
  await terraform.apply(planFile);
}

const [mode, dir, binary, planFile] = process.argv.slice(2);
let code = 0;
try {
  if (mode === 'stand-in') await runStandIn();
  else if (mode === 'terraform' && dir && binary && planFile) await runTerraform(dir, binary, planFile);
  else throw new Error('usage: ctrl-c-driver.ts terraform <dir> <binary> <planFile> | stand-in');
} catch (error) {
  code = interrupt.signal.aborted ? 130 : 1;
  say({ error: (error as { code?: string }).code ?? String(error) });
}
interrupt.dispose();
say({ done: code });
process.exitCode = code;
