// Installs moto (moto[server] from PyPI, pinned in the testkit) into .moto/ and prints the command
// that runs its server; exits 1 with the reason when pip cannot. Used by .ci/run, which runs the AWS
// Secrets Manager proofs on a real moto server rather than skipping them.
import { installMoto, MOTO_VERSION } from '../packages/testkit/src/index.ts';

const installed = await installMoto();
if (!installed.found) {
  console.error(`moto ${MOTO_VERSION} could not be installed: ${installed.reason}`);
  process.exit(1);
}
console.log(installed.command.join(' '));
