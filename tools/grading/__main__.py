import sys

from tools.grading.cli import main

sys.exit(main())
