"""Executes a Jupyter notebook headless, as `jupyter nbconvert --execute` does (nbclient), and
also keeps the outputs a kernel publishes just after it reported itself idle.

Deno's kernel (2.9) sometimes sends a cell's `execute_result` or its last `stream` output a moment
*after* `status: idle`; nbclient stops listening at idle and the table is lost from the notebook.
After idle this waits until the kernel has been quiet for GRACE_S and keeps what still belongs to
the cell. (It overrides nbclient's `_async_poll_output_msg`: nbclient is pinned in
jupyter-requirements.txt.)

Usage: python execute-notebook.py IN.ipynb OUT.ipynb [--kernel NAME] [--timeout SECONDS]
The kernel runs in IN's directory.
"""

import argparse
import os
import queue

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete

GRACE_S = 1.0


class LateOutputClient(NotebookClient):
    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=GRACE_S))
            except queue.Empty:
                return
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("output")
    parser.add_argument("--kernel", default=None)
    parser.add_argument("--timeout", type=int, default=180)
    args = parser.parse_args()
    notebook = nbformat.read(args.notebook, as_version=4)
    options = {"timeout": args.timeout, "resources": {"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}}}
    if args.kernel:
        options["kernel_name"] = args.kernel
    try:
        LateOutputClient(notebook, **options).execute()
    finally:
        # Also after a failing cell: the outputs up to it are what tells why.
        nbformat.write(notebook, args.output)


if __name__ == "__main__":
    main()
