#!/usr/bin/env python3
"""Render PDF pages to PNG images with poppler's pdftoppm.

Used to make the README screenshots in docs/images/, e.g.::

    python scripts/render_pages.py out/report.pdf docs/images --first 1 --last 2 --dpi 60

Output files are named <prefix>-<page>.png (pdftoppm pads the page number
with zeros to the width of the page count, e.g. report-01.png).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

MESSAGES: dict[str, str] = {
    "pdftoppm_missing": (
        "未找到 pdftoppm，无法把 PDF 转为图片。请先安装 poppler：\n"
        "  Debian/Ubuntu：sudo apt-get install poppler-utils\n"
        "  Windows：下载 poppler for Windows（https://github.com/oschwartz10612/poppler-windows），"
        "并把其 bin 目录加入 PATH 环境变量。"
    ),
    "pdf_missing": "找不到 PDF 文件：{path}",
    "bad_range": "页码范围无效：起始页 {first} 大于结束页 {last}。",
    "bad_number": "{name} 必须是正整数，当前为 {value}。",
    "failed": "pdftoppm 转换失败（退出码 {code}）：{detail}",
    "none": "没有生成任何图片，请检查页码范围是否超出 PDF 的页数。",
    "done": "已生成 {count} 张图片：",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Render PDF pages to PNG files with pdftoppm (poppler-utils).",
    )
    parser.add_argument("pdf", type=Path, help="input PDF file")
    parser.add_argument(
        "out_dir", type=Path, help="directory for the PNG files (created if missing)"
    )
    parser.add_argument("--first", type=int, default=None, help="first page to render (1-based)")
    parser.add_argument("--last", type=int, default=None, help="last page to render (inclusive)")
    parser.add_argument("--dpi", type=int, default=60, help="resolution in DPI (default: 60)")
    parser.add_argument(
        "--prefix", default=None, help="output file name prefix (default: the PDF file name stem)"
    )
    return parser


def render_pages(
    pdf: Path,
    out_dir: Path,
    *,
    first: int | None = None,
    last: int | None = None,
    dpi: int = 60,
    prefix: str | None = None,
) -> list[Path]:
    """Render pages first..last of ``pdf`` to PNG files; return their paths.

    Raises RuntimeError with a Chinese message on failure.
    """
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise RuntimeError(MESSAGES["pdftoppm_missing"])
    if not pdf.is_file():
        raise RuntimeError(MESSAGES["pdf_missing"].format(path=pdf))
    for name, value in (("--first", first), ("--last", last), ("--dpi", dpi)):
        if value is not None and value < 1:
            raise RuntimeError(MESSAGES["bad_number"].format(name=name, value=value))
    if first is not None and last is not None and first > last:
        raise RuntimeError(MESSAGES["bad_range"].format(first=first, last=last))

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = prefix or pdf.stem
    command = [pdftoppm, "-r", str(dpi), "-png"]
    if first is not None:
        command += ["-f", str(first)]
    if last is not None:
        command += ["-l", str(last)]
    command += [str(pdf), str(out_dir / stem)]
    started = time.time()
    result = subprocess.run(command, capture_output=True, text=True, errors="replace", check=False)
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip()
        raise RuntimeError(MESSAGES["failed"].format(code=result.returncode, detail=detail))

    # pdftoppm does not list its outputs: collect <stem>-<page>.png files in
    # the page range that were written by this run.
    page_file = re.compile(re.escape(stem) + r"-(\d+)\.png")
    written: list[tuple[int, Path]] = []
    for path in out_dir.iterdir():
        match = page_file.fullmatch(path.name)
        if match is None or path.stat().st_mtime < started - 1:
            continue
        page = int(match.group(1))
        if (first is None or page >= first) and (last is None or page <= last):
            written.append((page, path))
    if not written:
        raise RuntimeError(MESSAGES["none"])
    return [path for _, path in sorted(written)]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        files = render_pages(
            args.pdf,
            args.out_dir,
            first=args.first,
            last=args.last,
            dpi=args.dpi,
            prefix=args.prefix,
        )
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(MESSAGES["done"].format(count=len(files)))
    for path in files:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
