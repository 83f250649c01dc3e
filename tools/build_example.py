"""Write the example workbook ``data/2024.xlsx`` from ``examples/zhengjiayi.py``.

Run: ``python3 tools/build_example.py [path]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(1, str(ROOT))  # the package, installed or not

import zhengjiayi  # noqa: E402

from generator.workbook_layout import write_workbook  # noqa: E402

if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "2024.xlsx"
    write_workbook(target, zhengjiayi.data(), notes=zhengjiayi.NOTES)
    print(target)
