"""The sandbox each graded notebook runs in: bubblewrap (`bwrap`) on Linux, where it works.

Inside, the machine is read-only; /tmp, /home and the grader's user's home are empty, except for
what the notebook needs (this repository, the Python it runs on); the repository's .git, the
class's submissions and the grader's output are hidden; the notebook's private folder (and
/dev/shm) are the only places it can write. It has its own process and network namespaces
(loopback only, so the in-kernel servers work and nothing else does), so it cannot see, signal
or reach any other process, including the grader, and everything in it dies with it. Without
bwrap the notebook still runs in its own process group and temporary folder, but as an ordinary
process of your user: the report says so.
"""

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools.exercises import ROOT

INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt install bubblewrap)"
# Files only root may read; masked for a grader that runs as root, which sees them otherwise.
SECRETS = ("/etc/shadow", "/etc/gshadow", "/etc/sudoers")
HIDDEN_ROOTS = ("/tmp", "/var/tmp", "/home", "/root", "/run", "/mnt", "/media")


def _inside(path, folder):
    return path == folder or folder in path.parents


def _needed():
    """Folders the notebook must read: the repository and the Python installation."""
    paths = {ROOT, Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent}
    return _outermost(Path(os.path.realpath(path)) for path in paths)


def _outermost(paths):
    paths = set(paths)
    return sorted(path for path in paths if not any(_inside(path, p) for p in paths - {path}))


def command(argv, workdir, hide=()):
    """`argv` wrapped in bwrap: `workdir` writable, `hide` (folders) invisible."""
    home = Path(os.path.expanduser("~")).resolve()
    hidden = _outermost(Path(path) for path in (*HIDDEN_ROOTS, home) if Path(path).is_dir())
    needed = _needed()
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-all"]
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]  # root inside keeps no power over the mounts
    args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for folder in hidden:
        args += ["--tmpfs", str(folder)]
    for folder in needed:
        if any(_inside(folder, root) for root in hidden):
            args += ["--ro-bind", str(folder), str(folder)]
    for secret in SECRETS:
        if os.geteuid() == 0 and Path(secret).exists():
            args += ["--ro-bind", "/dev/null", secret]

    def visible(path):
        return not any(_inside(path, root) for root in hidden) or any(
            _inside(path, folder) for folder in needed
        )

    for folder in [ROOT / ".git", *(Path(os.path.realpath(path)) for path in hide)]:
        if folder.is_dir() and visible(folder):
            args += ["--tmpfs", str(folder)]
    workdir = str(Path(workdir).resolve())
    args += ["--bind", workdir, workdir]
    # The empty folders are memory (tmpfs): read-only, so the only place to write is `workdir`,
    # on disk, where the runner measures it (and /dev/shm, which it measures too).
    for folder in hidden:
        args += ["--remount-ro", str(folder)]
    args += ["--chdir", workdir, "--", *argv]
    return args


@functools.cache
def probe():
    """("", True) when bwrap runs here, else (why not, False)."""
    if not sys.platform.startswith("linux"):
        return "the sandbox (bubblewrap) exists only on Linux", False
    if shutil.which("bwrap") is None:
        return f"bwrap was not found: {INSTALL_HINT}", False
    workdir = Path(os.path.realpath(os.getcwd()))
    try:
        done = subprocess.run(
            command(["true"], workdir),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap does not work here ({error})", False
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bwrap does not work here ({reason})", False
    return "", True
