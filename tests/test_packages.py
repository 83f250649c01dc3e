"""The zip writer, the batch's manifest journal and the county summary's direct Excel writer (issue 8).

These replaced zipfile, a manifest rewritten after every unit and openpyxl for speed; each test reads the
result back with the standard tools (zipfile, openpyxl, python-docx) and checks what a user relies on.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
import openpyxl

from conftest import EXAMPLE, ROOT
from generator import zipout
from generator.pipeline import load
from generator.render import make_env, render_docx
from generator.write import JOURNAL, MANIFEST, Journal, compact_manifest, load_manifest, sha256, write_outputs
from test_batch import SUMMARY, UNITS, YEAR, county, county_data, run  # noqa: F401 (fixtures)

TEMPLATE = ROOT / "templates" / "default" / "report.docx"


# ---------------------------------------------------------------------------- zipout


def test_package_reads_back_with_zipfile_in_order() -> None:
    parts = {"[Content_Types].xml": b"<Types/>", "word/document.xml": "<w:t>郑家驿镇</w:t>".encode() * 500,
             "媒体/图.bin": bytes(range(256)), "empty.xml": b""}
    data = zipout.package(parts)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None  # every CRC checks
        assert zf.namelist() == list(parts)
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
        assert {name: zf.read(name) for name in zf.namelist()} == parts
        assert zf.getinfo("媒体/图.bin").flag_bits & 0x800  # a non-ASCII name is marked UTF-8
    assert zipout.package(parts) == data  # fixed timestamps: the same parts give the same bytes


def test_reused_member_is_the_same_as_a_fresh_one() -> None:
    raw = b"<w:styles>" + b"<w:style/>" * 300 + b"</w:styles>"
    member = zipout.Member.deflated("word/styles.xml", raw)
    assert zipout.package({"word/styles.xml": member}) == zipout.package({"word/styles.xml": raw})


def test_report_bytes_are_reproducible_and_open_in_python_docx() -> None:
    ctx = load(EXAMPLE, YEAR)[1]
    first, second = render_docx(TEMPLATE, ctx, make_env()), render_docx(TEMPLATE, ctx, make_env())
    assert first == second  # same workbook, same template: byte-identical report
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert zf.testzip() is None
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(first)).paragraphs)
    assert "桃源县郑家驿镇人民政府" in text and "八、有关建议" in text


# ---------------------------------------------------------------------------- manifest journal


def test_journal_entries_count_as_ours_and_are_folded_in(tmp_path: Path) -> None:
    folder = tmp_path / "2024"
    files = {folder / "a.docx": b"A", folder / "b.xlsx": b"B"}
    journal = Journal()
    write_outputs(files, manifests={}, record=journal)
    journal.close()
    assert not (folder / MANIFEST).exists()  # the journal was appended instead
    lines = (folder / JOURNAL).read_text("utf-8").splitlines()
    assert lines == [f"{sha256(b'A')}\ta.docx", f"{sha256(b'B')}\tb.xlsx"]
    assert load_manifest(folder) == {"a.docx": sha256(b"A"), "b.xlsx": sha256(b"B")}
    # a line cut short by a crash is skipped, the others kept
    with open(folder / JOURNAL, "a", encoding="utf-8") as fh:
        fh.write("3f2a\tc.d")
    assert load_manifest(folder) == {"a.docx": sha256(b"A"), "b.xlsx": sha256(b"B")}
    compact_manifest(folder)
    assert not (folder / JOURNAL).exists()
    assert json.loads((folder / MANIFEST).read_text("utf-8")) == {"a.docx": sha256(b"A"), "b.xlsx": sha256(b"B")}


def test_files_recorded_only_in_a_journal_are_overwritten_without_force(tmp_path: Path) -> None:
    """An interrupted batch leaves its journal; the next run must still recognise those files as its own."""
    folder = tmp_path / "2024"
    journal = Journal()
    write_outputs({folder / "a.docx": b"old"}, manifests={}, record=journal)
    journal.close()
    write_outputs({folder / "a.docx": b"new"})  # a plain run: no refusal, manifest rewritten, journal gone
    assert (folder / "a.docx").read_bytes() == b"new"
    assert not (folder / JOURNAL).exists()
    assert load_manifest(folder) == {"a.docx": sha256(b"new")}


def test_batch_leaves_a_complete_manifest_and_no_journal(county: Path) -> None:
    run(county, "--jobs", "2")
    folder = county / "output" / str(YEAR)
    assert not (folder / JOURNAL).exists()
    manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    written = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    assert sorted(manifest) == written and len(written) == 3 * 3 + 1  # 3 good units × 3 files + the summary
    for name in written:
        assert manifest[name] == sha256((folder / name).read_bytes())


# ---------------------------------------------------------------------------- county summary


def test_summary_sheet_view_print_setup_and_fills(county: Path) -> None:
    run(county, "--jobs", "2")
    ws = openpyxl.load_workbook(county / "output" / str(YEAR) / SUMMARY).active
    assert ws.title == "汇总"
    assert ws["A1"].value == f"{YEAR}年度部门整体支出绩效自评汇总表" and "A1:M1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.freeze_panes == "C3"  # header and the two name columns stay in view
    assert ws.auto_filter.ref == f"A2:M{2 + len(UNITS)}"
    assert ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws["A2"].fill.fgColor.rgb == "FFBDD7EE" and ws["A2"].font.b
    failed = next(r for r in range(3, 3 + len(UNITS)) if ws.cell(r, 1).value == "丁镇")
    assert ws.cell(failed, 1).fill.fgColor.rgb == "FFF8CBAD"
    total = 3 + len(UNITS)
    assert ws.cell(total, 1).value == "合计" and ws.cell(total, 1).fill.fgColor.rgb == "FFD9D9D9"
    assert ws.cell(3, 1).border.left.style == "thin"
    assert ws.column_dimensions["B"].width == 30


# ---------------------------------------------------------------------------- garbage collection while a unit is made


def test_collector_relaxed_while_a_unit_is_made_and_restored_after(project: Path, monkeypatch) -> None:
    import gc

    from generator import pipeline

    seen = []
    original = pipeline.render_docx

    def spy(*args, **kwargs):
        seen.append(gc.get_threshold()[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "render_docx", spy)
    before = gc.get_threshold()
    pipeline.generate(YEAR, data_dir=project / "data", templates_dir=project / "templates", out_dir=project / "output")
    assert seen == [pipeline.GC_THRESHOLD] and gc.get_threshold() == before
    # and after a unit that fails
    (project / "data" / "2024.xlsx").write_bytes(b"not a workbook")
    try:
        pipeline.generate(YEAR, data_dir=project / "data", templates_dir=project / "templates",
                          out_dir=project / "output")
    except pipeline.UserError:
        pass
    assert gc.get_threshold() == before
