// Installs the Jupyter that executes examples/notebook.ipynb headless (nbclient, nbconvert…, pinned
// in test/runtimes/jupyter-requirements.txt) into .jupyter/venv, with Deno's kernelspec inside it
// (nothing is written to ~/.local/share/jupyter), and prints the path of its Python (run `<it> -m nbconvert …`); exits 1 with
// the reason when Python or pip cannot. test/runtimes/notebook.test.ts does the same when needed.
import { installJupyter } from '../test/runtimes/support/jupyter-environment.ts';

try {
  const { python } = await installJupyter();
  console.log(python);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
