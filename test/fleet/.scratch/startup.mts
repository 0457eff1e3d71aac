import { startFleet } from '../fleet.js';
for (const count of [3, 31]) {
  const t0 = Date.now();
  const fleet = await startFleet({ nodes: Array.from({ length: count }, (_, i) => ({ name: `n${i}` })) });
  const started = Date.now() - t0;
  const t1 = Date.now();
  fleet.stop();
  console.log(`${count} nodes: start ${started} ms, stop ${Date.now() - t1} ms`);
}
