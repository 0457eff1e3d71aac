/**
 * `npm run dev -- ARGS`: the CLI from src/ through tsx, with no build (what bin/k8s-bootstrap.js
 * does with dist/). For trying a change; the tests and the package use the build.
 */
import { main } from '../src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
