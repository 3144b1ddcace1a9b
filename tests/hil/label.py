"""``.venv/bin/python -m tests.hil.label OUT.png``: write the printable HIL test label.

The sheet itself is made by ``tests/support/hil_label.py``, which the tests import.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from hil_label import main

if __name__ == "__main__":
    sys.exit(main())
