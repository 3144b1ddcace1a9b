"""``python -m hub`` is ``shekara-hub``."""

import sys

from hub.cli import main

sys.exit(main())
