#!/usr/bin/env python3
"""Regenerate the README pictures, and render every page of the example for review.

Runs ``generate --year 2024 --pdf`` on a copy of data/ and templates/ in a
temporary folder (the repository is not written to, except docs/images/ and
output/pages/), finds the page that starts with 附件2 with pdftotext, and
renders pages to PNG with scripts/render_pages.py (pdftoppm):

* docs/images/page-1.png and attachment-2.png, the pictures README.md shows;
* output/pages/report-NN.png and tables-NN.png, every page of the report's PDF
  and of its Excel tables' PDF, so a reviewer can look at each page (output/
  is not committed).

::

    python scripts/readme_images.py            # both
    python scripts/readme_images.py --dpi 90 --pages-dpi 60 --pages /tmp/pages

Needs LibreOffice, fonts-noto-cjk (or the real fonts) and poppler-utils.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from render_pages import render_pages  # noqa: E402

IMAGES = ROOT / "docs" / "images"
FIRST_PAGE = "page-1.png"  # the names README.md shows
ATTACHMENT_PAGE = "attachment-2.png"
ATTACHMENT_MARK = "附件2"

MESSAGES = {
    "generate_failed": "生成示例报告失败（退出码 {code}）：\n{output}",
    "no_pdf": "没有找到生成的 PDF：{folder}",
    "no_attachment": "PDF 中没有以“{mark}”开头的页面，无法截取附件页。",
    "pdftotext_missing": "未找到 pdftotext，请先安装 poppler-utils（sudo apt-get install poppler-utils）。",
    "done": "已生成：{path}",
    "pages_done": "已生成 {count} 张页面图片：{folder}",
}
PAGES = ROOT / "output" / "pages"


def page_texts(pdf: Path) -> list[str]:
    """Each page's text without whitespace (pdftotext separates pages with a form feed)."""
    if shutil.which("pdftotext") is None:
        raise RuntimeError(MESSAGES["pdftotext_missing"])
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    return ["".join(page.split()) for page in out.split("\f")]


def example_pdf(work: Path) -> Path:
    """Generate the example report with --pdf-tables inside ``work``; return the report's PDF (the tables' is beside it)."""
    shutil.copytree(ROOT / "data", work / "data")
    shutil.copytree(ROOT / "templates", work / "templates")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-m", "generator.cli", "--year", "2024", "--pdf-tables"],
                            cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        raise RuntimeError(MESSAGES["generate_failed"].format(code=result.returncode,
                                                               output=(result.stdout + result.stderr).strip()))
    folder = work / "output" / "2024"
    pdfs = [p for p in folder.glob("*.pdf") if not p.stem.endswith("-附表")]
    if len(pdfs) != 1:
        raise RuntimeError(MESSAGES["no_pdf"].format(folder=folder))
    return pdfs[0]


def render_page(pdf: Path, page: int, target: Path, dpi: int, scratch: Path) -> Path:
    [png] = render_pages(pdf, scratch, first=page, last=page, dpi=dpi, prefix=f"page{page}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, target)
    return target


def render_all(report_pdf: Path, folder: Path, dpi: int) -> list[Path]:
    """Every page of the report's PDF (report-NN.png) and of its tables' PDF (tables-NN.png) into ``folder``.

    Images of an earlier run are removed first, so the folder shows this run only.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for old in list(folder.glob("report-*.png")) + list(folder.glob("tables-*.png")):
        old.unlink()
    out = render_pages(report_pdf, folder, dpi=dpi, prefix="report")
    tables_pdf = report_pdf.with_name(report_pdf.stem + "-附表.pdf")
    if tables_pdf.is_file():
        out += render_pages(tables_pdf, folder, dpi=dpi, prefix="tables")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate docs/images/ from the example report's PDF.")
    parser.add_argument("--dpi", type=int, default=70, help="resolution of the PNG files (default: 70)")
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder for the PNG files (default: docs/images)")
    parser.add_argument("--pages", type=Path, default=PAGES,
                        help="folder for every page of the report and tables PDFs (default: output/pages)")
    parser.add_argument("--pages-dpi", type=int, default=60, help="resolution of the page images (default: 60)")
    args = parser.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="readme-images-") as tmp:
            work = Path(tmp)
            pdf = example_pdf(work)
            pages = page_texts(pdf)
            attachment = next((i + 1 for i, text in enumerate(pages) if text.startswith(ATTACHMENT_MARK)), None)
            if attachment is None:
                raise RuntimeError(MESSAGES["no_attachment"].format(mark=ATTACHMENT_MARK))
            written = [render_page(pdf, 1, args.out / FIRST_PAGE, args.dpi, work / "png"),
                       render_page(pdf, attachment, args.out / ATTACHMENT_PAGE, args.dpi, work / "png")]
            pages = render_all(pdf, args.pages, args.pages_dpi)
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in written:
        print(MESSAGES["done"].format(path=path))
    print(MESSAGES["pages_done"].format(count=len(pages), folder=args.pages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
