"""JavaScript the diagrams and the website need, from the npm registry, pinned and checked.

    python -m tools.vendor          fetch every package below into build/vendor/ (once; cached)

A page of the course website must never load a script from a CDN (readers and CI may be
offline), and `tools.diagrams` draws Mermaid in a local browser. Both take their scripts from
here: `npm pack` downloads the exact version, its sha512 must match the one pinned below, and
only the files listed are unpacked. Nothing is installed into a node_modules folder.
"""

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "build" / "vendor"
NPM_MISSING = (
    "npm not found: install Node.js with npm (Debian/Ubuntu: sudo apt-get install nodejs npm)"
)


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # npm's "sha512-<base64>", from `npm view NAME@VERSION dist.integrity`
    files: tuple  # paths inside the package to unpack; a path ending in "/" is a folder

    @property
    def folder(self):
        return VENDOR / f"{self.name}-{self.version}"


PACKAGES = {
    # The Mermaid JupyterLab 4.6 draws with, so a diagram looks the same in the lab and outside.
    "mermaid": Package(
        "mermaid",
        "11.16.1",
        "sha512-TQsq6u22fAn3rek5VOubrhKPo1g5hwC3FXUN9hiyupTckcYiGuuKGkNQrKYwGJkXUxZdojwRG46gsSCFZMDp4g==",
        ("dist/mermaid.min.js", "LICENSE"),
    ),
    # For the website: Sphinx typesets math with MathJax, and would take it from a CDN.
    "mathjax": Package(
        "mathjax",
        "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        (
            "es5/tex-chtml.js",
            "es5/output/chtml/fonts/woff-v2/",
            "es5/input/tex/extensions/",
            "es5/ui/",
            "LICENSE",
        ),
    ),
}


class VendorError(RuntimeError):
    pass


def _integrity(path):
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def _unpack(package, tarball, target):
    wanted = [f"package/{name}" for name in package.files]
    with tarfile.open(tarball) as archive:
        members = [
            member
            for member in archive.getmembers()
            if member.isfile()
            and any(
                member.name == name or (name.endswith("/") and member.name.startswith(name))
                for name in wanted
            )
        ]
        missing = [name for name in wanted if not any(m.name.startswith(name) for m in members)]
        if missing:
            raise VendorError(f"{package.name}@{package.version} has no {', '.join(missing)}")
        archive.extractall(target, members=members, filter="data")


def find_npm():
    """The npm client's path, or None."""
    return shutil.which("npm")


def fetch(package):
    """Download, check and unpack `package` into build/vendor/ unless it is already there."""
    if package.folder.is_dir():
        return package.folder
    npm = find_npm()
    if not npm:
        raise VendorError(NPM_MISSING)
    VENDOR.mkdir(parents=True, exist_ok=True)
    # Unpack beside the final folder, then rename: two processes fetching at once both succeed.
    with tempfile.TemporaryDirectory(dir=VENDOR) as scratch:
        spec = f"{package.name}@{package.version}"
        result = subprocess.run(
            [npm, "pack", spec, "--json", "--pack-destination", scratch],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=scratch,
        )
        if result.returncode != 0:
            raise VendorError(f"npm pack {spec} failed: {result.stderr.strip()[-500:]}")
        tarball = Path(scratch) / json.loads(result.stdout)[0]["filename"]
        found = _integrity(tarball)
        if found != package.integrity:
            raise VendorError(f"{spec}: sha512 is {found}, expected {package.integrity}")
        unpacked = Path(scratch) / "unpacked"
        _unpack(package, tarball, unpacked)
        try:
            (unpacked / "package").rename(package.folder)
        except OSError:
            if not package.folder.is_dir():
                raise
    return package.folder


def path(name, file):
    """The local path of `file` from package `name`, fetching the package first if needed."""
    return fetch(PACKAGES[name]) / file


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    try:
        for package in PACKAGES.values():
            print(f"{package.name}@{package.version}: {fetch(package).relative_to(ROOT)}")
    except VendorError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
