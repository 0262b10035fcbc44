"""Where `make serve` is: the address to open, and the settings that go with it.

    python -m tools.serve PORT [PATH]      the address of PATH for the browser (default /)
    python -m tools.serve --env PORT       NAME=value lines for course_project's settings

On a learner's own machine that is http://127.0.0.1:PORT/ and no settings; behind a JupyterHub or
in a codespace, what workbook.hosting decides (a path prefix, the origin the browser uses).
"""

import argparse
import os
import sys

from workbook.hosting import HostingError, browser_address


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tools.serve", description=__doc__.split("\n")[0]
    )
    parser.add_argument("port", help="the server's port on 127.0.0.1")
    parser.add_argument("path", nargs="?", default="/", help="a page's path (default /)")
    parser.add_argument(
        "--env", action="store_true", help="print the settings' NAME=value lines instead"
    )
    args = parser.parse_args(argv)
    try:
        address = browser_address(args.port)
    except HostingError as error:
        parser.exit(2, f"{parser.prog}: {error}\n")
    if not args.env:
        print(address.url(args.path))
        return
    for name, value in address.django_environ().items():
        print(f"{name}={value}")
    if address.learns_host and not os.environ.get("DJANGO_TRUSTED_ORIGINS"):
        print(
            f"Note: your browser reaches this server at {address.url()} on the hub's address, "
            "which this machine cannot see, and Django refuses host names it does not know. "
            "Set DJANGO_TRUSTED_ORIGINS=https://<your hub's host> (or WORKBOOK_BROWSER_URL to "
            "the full address, https://<hub>/user/<you>/proxy/{port}/).",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
