// Loaded with `node --import bench/usage-probe.mjs bin/k8s-bootstrap.js …` by bench/scale.mjs: at
// exit, writes the process's own CPU time and peak memory (process.resourceUsage: this process
// only, not its children) to the file K8SB_BENCH_USAGE names.
import { writeFileSync } from 'node:fs';

const file = process.env.K8SB_BENCH_USAGE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ userUs: usage.userCPUTime, systemUs: usage.systemCPUTime, maxRssKb: usage.maxRSS }));
  });
}
