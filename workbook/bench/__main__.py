import sys

from workbook.bench.cli import main

try:
    sys.exit(main())
except KeyboardInterrupt:
    # Servers, Redis and clients are stopped by their `with` blocks and workbook's atexit hook.
    sys.exit("bench: interrupted")
