"""Build the example workbook ``data/2024.xlsx`` (桃源县郑家驿镇人民政府, 2024).

The example data itself lives in ``generator/example.py`` (one source: the
installed package uses it for ``--template-check`` and the field reference).
Run: ``python tools/build_example.py [path]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.example import *  # noqa: E402,F401,F403  (re-exported for scripts that import the data from here)
from generator.example import build  # noqa: E402

if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "data" / "2024.xlsx"
    build(target)
    print(target)
