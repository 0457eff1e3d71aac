import { test, expect } from 'vitest';
import { runTool } from '../../../src/tools/subprocess.js';
test('runTool streams lines, maps exit, spawn failure, abort and timeout', async () => {
  const lines: string[] = [];
  const r = await runTool(process.execPath, ['-e', 'console.log("a\\nb"); console.error("c"); process.exit(0)'], { onLine: (l) => lines.push(l) });
  expect(r.exitCode).toBe(0); expect(lines.sort()).toEqual(['a','b','c']); expect(r.stdout).toBe('a\nb');
  await expect(runTool(process.execPath, ['-e', 'process.exit(3)'])).rejects.toMatchObject({kind:'exited'});
  await expect(runTool('/nonexistent/x', [])).rejects.toMatchObject({kind:'spawn-failed'});
  const ac = new AbortController(); setTimeout(()=>ac.abort(), 200);
  await expect(runTool(process.execPath, ['-e', 'setTimeout(()=>{},10000)'], {signal: ac.signal})).rejects.toMatchObject({kind:'aborted'});
  await expect(runTool(process.execPath, ['-e', 'setTimeout(()=>{},10000)'], {timeoutMs: 200})).rejects.toMatchObject({kind:'timed-out'});
});
