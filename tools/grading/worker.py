"""Run one notebook in a fresh kernel and report each cell as it finishes.

    python -m tools.grading.worker NOTEBOOK --events FD --cell-timeout SECONDS --results-mime TYPE

The grader starts this inside the notebook's sandbox. It writes one JSON object per line to file
descriptor FD (which the kernel does not inherit): {"event": "start", "cell": i} before a code
cell, {"event": "done", ...} after it with the check results it published, and
{"event": "finished"} at the end, or {"event": "died", "cell": i} when the kernel died. A cell
that timed out is "timeout", or "stuck" when the kernel did not answer after the interrupt: then
nothing more runs. The grader
treats every line as untrusted: the student's code runs in the kernel this process started.
"""

import argparse
import json
import os
import resource
import sys
import time

MiB = 1024 * 1024
TEXT_LIMIT = 4000  # characters kept of any message
RESULTS_LIMIT = 100  # check results kept per cell
# jsonschema's optional extras for format checks ("format-nongpl"), which Jupyter installs.
OPTIONAL_FORMAT_CHECKERS = (
    "rfc3987_syntax",
    "rfc3987",
    "rfc3986_validator",
    "rfc3339_validator",
    "isoduration",
    "webcolors",
    "uri_template",
    "jsonpointer",
    "fqdn",
)


# How the kernel starts: as `python -m ipykernel_launcher` does, but without debugpy. ipykernel
# imports it for JupyterLab's debugger, which no graded notebook uses; that is a quarter of a
# kernel's start (0.12 of 0.48 CPU-seconds here), paid again by each notebook of a class.
LAUNCH_WITHOUT_DEBUGGER = (
    "import sys; del sys.path[0]; "  # as ipykernel_launcher: no module from the notebook's folder
    "sys.modules['debugpy'] = None; "  # ipykernel then finds no debugger, and starts without one
    "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
)


def without_debugger(kernel_cmd):
    """`kernel_cmd` (a kernel spec's argv, formatted) starting the kernel without debugpy; any
    other command than ipykernel's own is left as it is."""
    for index in range(len(kernel_cmd) - 1):
        if kernel_cmd[index : index + 2] == ["-m", "ipykernel_launcher"]:
            return [*kernel_cmd[:index], "-c", LAUNCH_WITHOUT_DEBUGGER, *kernel_cmd[index + 2 :]]
    return kernel_cmd


def clip(text):
    text = str(text)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def limit_resources(file_mb, address_space_mb):
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * MiB, file_mb * MiB))
    if address_space_mb:
        limit = address_space_mb * MiB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def results_in(outputs, mime):
    found = []
    for output in outputs:
        data = output.get("data", {}).get(mime) if "data" in output else None
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            continue
        found.append(
            {
                "name": clip(data["name"]),
                "passed": data.get("passed") is True,
                "problem": clip(data.get("problem", "")),
                "hint": clip(data.get("hint", "")),
            }
        )
    return found[:RESULTS_LIMIT]


def error_in(outputs):
    for output in outputs:
        if output.get("output_type") == "error":
            return clip(f"{output.get('ename')}: {output.get('evalue')}")
    return ""


def answers(client, wait=10):
    """After a cell timed out and was interrupted: does the kernel run code again? A cell that
    ignores the interrupt (or is stuck in C code) leaves it busy, and then it does not."""
    probe = client.kc.execute("", silent=True, store_history=False)
    saved, client.timeout = client.timeout, min(client.timeout, wait)
    try:
        return client.wait_for_reply(probe) is not None
    finally:
        client.timeout = saved


def main(argv=None):
    parser = argparse.ArgumentParser()
    # The notebook's file name, for the process list; the notebook itself comes on stdin.
    parser.add_argument("notebook")
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--cell-timeout", type=float, required=True)
    parser.add_argument("--results-mime", required=True)
    parser.add_argument("--file-mb", type=int, default=256)
    parser.add_argument("--address-space-mb", type=int, default=0)
    args = parser.parse_args(argv)
    os.set_inheritable(args.events, False)
    events = os.fdopen(args.events, "w", buffering=1, encoding="utf-8")

    began = time.monotonic()

    def emit(event, **fields):
        at = round(time.monotonic() - began, 3)
        events.write(json.dumps({"event": event, "at": at, **fields}) + "\n")

    limit_resources(args.file_mb, args.address_space_mb)

    # jsonschema, which nbformat imports, imports the checkers of string formats that are
    # installed: rfc3987_syntax builds a grammar (1-3 s of CPU per process, more than the rest of
    # a small notebook), and the others cost about 50 ms more. nbformat never checks formats.
    for optional in OPTIONAL_FORMAT_CHECKERS:
        sys.modules.setdefault(optional, None)
    # Imported after the limits, so the kernel this starts inherits them.
    import nbformat
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    class KernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            return without_debugger(super().format_kernel_cmd(extra_arguments))

    # The runner sends the notebook on stdin (`notebook` only names it); the kernel gets no stdin.
    notebook = nbformat.reads(sys.stdin.read(), as_version=4)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    replies = {}
    timeout = args.cell_timeout
    client = NotebookClient(
        notebook,
        km=KernelManager(kernel_name="python3", transport="ipc", ip="kernel"),
        timeout=timeout,
        allow_errors=True,
        interrupt_on_timeout=True,
        # Report the timeout at once rather than wait for an interrupt that may never work.
        error_on_timeout={"ename": "CellTimeout", "evalue": f"timed out after {timeout:g} s"},
        record_timing=False,
        # Only the exception's name and message are reported: IPython's default tracebacks read
        # the source of every frame and its context, up to a second of CPU in an untouched
        # exercise (a NotImplementedError in every task, and each check after it failing).
        extra_arguments=["--InteractiveShell.xmode=Minimal"],
        shell_timeout_interval=1,  # how often answers() looks for the probe's reply
        on_cell_executed=lambda cell, cell_index, execute_reply: replies.update(
            {cell_index: execute_reply}
        ),
        resources={"metadata": {"path": os.getcwd()}},
    )
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            emit("start", cell=index)
            started = time.monotonic()
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                emit("died", cell=index)
                return 0
            reply = (replies.pop(index, None) or {}).get("content", {})
            status = reply.get("status", "ok")
            if reply.get("ename") == "CellTimeout":
                status = "timeout" if answers(client) else "stuck"
            emit(
                "done",
                cell=index,
                status=status,
                seconds=round(time.monotonic() - started, 3),
                error=error_in(cell.outputs) or clip(reply.get("evalue", "")),
                results=results_in(cell.outputs, args.results_mime),
            )
            cell.outputs = []  # what mattered is reported; keep the worker's memory flat
            if status == "stuck":
                return 0  # every later cell would wait behind it: the grader ends the run
        emit("finished")
        # The grader ends the sandbox on "finished"; no need to wait for a clean shutdown.
    return 0


if __name__ == "__main__":
    sys.exit(main())
