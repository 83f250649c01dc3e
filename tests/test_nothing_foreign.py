"""Nothing foreign, however hidden (issue 27, item 3): fields assembled across runs and tracked changes, switches
before a path, other field types that fetch data, a mail-merge data source, an SVG picture with a remote image
and a script, a picture that is not what it says — none reaches the published report; ``--template-check`` names
exactly what ``generate`` names; and the annotated workbook copy carries no macro project or external link.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from docx import Document
from lxml import etree

from conftest import REPORT_NAME, run_cli
from test_bad_input import template_path
from test_hostile_templates import (CT_NS, PKG_NS, R_NS, REL, W_NS, add_relationship, declare_macros,
                                    read_parts, write_parts)

W = f"{{{W_NS}}}"
REMOTE = "http://attacker.example.invalid/"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
SVG = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="1" height="1">'
       f'<image xlink:href="{REMOTE}pixel.png" width="1" height="1"/><script>alert(1)</script></svg>').encode()


def field(*runs: str, result: str = "结果文字") -> str:
    """A complex field whose instruction is split over ``runs`` (each a run's inner XML)."""
    return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>' + "".join(f"<w:r>{r}</w:r>" for r in runs)
            + f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{result}</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def instr(text: str) -> str:
    return f'<w:instrText xml:space="preserve">{text}</w:instrText>'


HIDDEN = [  # (what the paragraph holds, its shown text kept)
    field(instr(" INCLUDE"), instr(f'PICTURE "{REMOTE}a.png" '), result="甲"),  # split across runs
    f'<w:del w:id="1" w:author="x" w:date="2024-01-01T00:00:00Z">{field(f"<w:delInstrText>INCLUDETEXT {REMOTE}b.docx</w:delInstrText>", result="乙")}</w:del>',
    field(instr(f' INCLUDEPICTURE \\d \\* MERGEFORMAT "{REMOTE}c.png" '), result="丙"),  # switches first
    field(instr(' DATABASE \\d "C:\\\\data.mdb" \\s "select * from t" '), result="丁"),
    field(instr(" MERGEFIELD 姓名 "), result="戊"),
    field(instr(f' HYPERLINK \\o "提示" "\\\\\\\\server\\\\share\\\\x.docx" '), result="己"),
    f'<w:fldSimple w:instr=" DDEAUTO excel \'C:\\\\x.xlsx\' A1 "><w:r><w:t>庚</w:t></w:r></w:fldSimple>',
    field(instr(" PAGE "), result="1"),  # kept: a page number
    # a VML picture that loads a remote image (no relationship: the address is in the attribute)
    '<w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" style="width:1pt;height:1pt">'
    f'<v:imagedata src="{REMOTE}v.png"/></v:shape></w:pict></w:r><w:r><w:t>辛</w:t></w:r>',
]
SHOWN = ["甲", "丙", "丁", "戊", "己", "庚", "辛"]


def foreign_template(path: Path) -> None:
    parts = read_parts(path)
    body = "".join(f'<w:p xmlns:w="{W_NS}" xmlns:r="{R_NS}">{p}</w:p>' for p in HIDDEN)
    # an SVG picture (with its PNG stand-in, as Word writes it) and a "PNG" that is an HTML page
    picture = (
        '<w:p xmlns:w="%s" xmlns:r="%s"><w:r><w:drawing>'
        '<wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
        '<wp:extent cx="9525" cy="9525"/><wp:docPr id="%d" name="p"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="0" name="p"/><pic:cNvPicPr/></pic:nvPicPr>'
        '<pic:blipFill><a:blip r:embed="%s">%s</a:blip></pic:blipFill><pic:spPr/></pic:pic>'
        '</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>')
    svg_ext = ('<a:extLst><a:ext uri="{96DAC541-7B7A-43D3-8B79-37D633B846F1}">'
               '<asvg:svgBlip xmlns:asvg="http://schemas.microsoft.com/office/drawing/2016/SVG/main" '
               'r:embed="rIdSvg"/></a:ext></a:extLst>')
    body += picture % (W_NS, R_NS, 801, "rIdPng", svg_ext) + picture % (W_NS, R_NS, 802, "rIdFake", "")
    doc = etree.fromstring(parts["word/document.xml"])
    target = doc.find(f"{W}body")
    for k, p in enumerate(etree.fromstring(f"<x>{body}</x>")):
        target.insert(k, p)
    parts["word/document.xml"] = etree.tostring(doc, xml_declaration=True, encoding="UTF-8", standalone=True)
    parts["word/media/image1.png"] = PNG
    parts["word/media/image2.svg"] = SVG
    parts["word/media/image3.png"] = b"<html><script>alert(1)</script></html>"
    rels = parts["word/_rels/document.xml.rels"]
    rels = add_relationship(rels, "rIdPng", REL + "image", "media/image1.png")
    rels = add_relationship(rels, "rIdSvg", REL + "image", "media/image2.svg")
    rels = add_relationship(rels, "rIdFake", REL + "image", "media/image3.png")
    parts["word/_rels/document.xml.rels"] = rels
    types = etree.fromstring(parts["[Content_Types].xml"])
    for ext, kind in (("png", "image/png"), ("svg", "image/svg+xml")):
        etree.SubElement(types, f"{{{CT_NS}}}Default", {"Extension": ext, "ContentType": kind})
    parts["[Content_Types].xml"] = etree.tostring(types, xml_declaration=True, encoding="UTF-8", standalone=True)
    # a mail-merge data source in the settings, as Word writes one
    settings = etree.fromstring(parts["word/settings.xml"])
    merge = etree.fromstring(
        f'<w:mailMerge xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:mainDocumentType w:val="formLetters"/>'
        '<w:linkToQuery/><w:dataType w:val="native"/>'
        '<w:connectString w:val="Provider=Microsoft.ACE.OLEDB.12.0;Data Source=\\\\server\\d.xlsx"/>'
        '<w:query w:val="SELECT * FROM `Sheet1$`"/><w:dataSource r:id="rIdDs"/></w:mailMerge>')
    settings.insert(1, merge)
    parts["word/settings.xml"] = etree.tostring(settings, xml_declaration=True, encoding="UTF-8", standalone=True)
    parts["word/_rels/settings.xml.rels"] = add_relationship(
        b'<Relationships xmlns="%s"/>' % PKG_NS.encode(), "rIdDs",
        REL + "mailMergeSource", "file:///\\\\server\\d.xlsx", external=True)
    write_parts(path, parts)


def removed_lines(output: str) -> list[str]:
    return sorted(line.strip() for line in output.splitlines() if "已删除（" in line)


def test_hidden_foreign_content_is_named_alike_and_never_published(project: Path) -> None:
    foreign_template(template_path(project))
    check = run_cli(project, "--template-check")
    assert check.exit_code == 0, check.output
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    named = removed_lines(result.output)
    assert named == removed_lines(check.output)  # the check says what generate says
    text = "\n".join(named)
    for instruction in ("INCLUDEPICTURE", "INCLUDETEXT", "DATABASE", "MERGEFIELD", "HYPERLINK", "DDEAUTO"):
        assert instruction in text, instruction
    assert "PAGE" not in text.replace("INCLUDEPICTURE", "")
    assert "含有脚本或外部引用的 SVG 图片已删除（word/media/image2.svg）" in text
    assert "不是位图（PNG、JPEG、GIF、BMP、TIFF）或 SVG 的图片已删除（word/media/image3.png）" in text
    assert "邮件合并或数据绑定的数据源已删除" in text
    assert "外部链接的图片已删除（word/document.xml）" in text  # the VML picture

    report = project / "output" / "2024" / REPORT_NAME
    parts = read_parts(report)
    assert "word/media/image2.svg" not in parts and "word/media/image3.png" not in parts
    assert parts["word/media/image1.png"] == PNG  # the raster picture stays
    published = b"".join(data for name, data in parts.items() if name.endswith((".xml", ".rels")))
    for gone in (b"attacker.example", b"INCLUDE", b"DATABASE", b"MERGEFIELD", b"DDE", b"server", b"mailMerge",
                 b"svgBlip", b"rIdFake", b"<script"):
        assert gone not in published, gone
    body = etree.fromstring(parts["word/document.xml"])
    instructions = [el.text.strip() for el in body.iter(f"{W}instrText", f"{W}delInstrText")]
    assert instructions == ["PAGE"]
    texts = [p.text for p in Document(report).paragraphs]
    for shown in SHOWN:  # each removed field's last result stays as plain text
        assert shown in texts, shown
    assert "单位名称：桃源县郑家驿镇人民政府" in texts


@pytest.mark.parametrize("tag, gone", [
    # a template cannot write markup into the XML (autoescape): a field typed as text stays text
    ("{{ '<w:fldSimple w:instr=\"INCLUDETEXT x\"/>' }}", b"<w:fldSimple"),
])
def test_markup_from_a_tag_is_text(project: Path, tag: str, gone: bytes) -> None:
    from test_bad_input import plant

    plant(project, tag)
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    parts = read_parts(project / "output" / "2024" / REPORT_NAME)
    assert gone not in parts["word/document.xml"]
    assert '<w:fldSimple w:instr="INCLUDETEXT x"/>' in [p.text for p in Document(
        project / "output" / "2024" / REPORT_NAME).paragraphs]


def test_the_annotated_workbook_carries_no_macro_or_external_link(project: Path) -> None:
    workbook = project / "data" / "2024.xlsx"
    parts = read_parts(workbook)
    declare_macros(parts, "/xl/workbook.xml", "application/vnd.ms-excel.sheet.macroEnabled.main+xml", {
        "/xl/externalLinks/externalLink1.xml":
            "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"})
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"Auto_Open\"" * 20
    parts["xl/externalLinks/externalLink1.xml"] = (
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="'
        + R_NS.encode() + b'"><externalBook r:id="rId1"/></externalLink>')
    parts["xl/externalLinks/_rels/externalLink1.xml.rels"] = add_relationship(
        b'<Relationships xmlns="%s"/>' % PKG_NS.encode(), "rId1", REL + "externalLinkPath",
        "file:///\\\\server\\share\\book.xlsx", external=True)
    rels = parts["xl/_rels/workbook.xml.rels"]
    rels = add_relationship(rels, "rIdVba", "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                            "vbaProject.bin")
    rels = add_relationship(rels, "rIdExt", REL + "externalLink", "externalLinks/externalLink1.xml")
    parts["xl/_rels/workbook.xml.rels"] = rels
    book = parts["xl/workbook.xml"].decode("utf-8")
    book = book.replace("</sheets>", f'</sheets><externalReferences><externalReference xmlns:r="{R_NS}" '
                                     'r:id="rIdExt"/></externalReferences>', 1)
    parts["xl/workbook.xml"] = book.encode("utf-8")
    write_parts(workbook, parts)
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    copy = next((project / "output" / "2024").glob("*-审核.xlsx"))
    out = read_parts(copy)
    assert not any("vba" in n.lower() or "externalLink" in n for n in out)
    published = b"".join(data for name, data in out.items() if name.endswith((".xml", ".rels")))
    for gone in (b"macroEnabled", b"vbaProject", b"externalReference", b"externalLink", b"External", b"server"):
        assert gone not in published, gone
    import openpyxl

    wb = openpyxl.load_workbook(copy)  # still a workbook, with its findings sheet first
    assert wb.sheetnames[0] == "审核结果" and "财务" in wb.sheetnames
    assert wb["财务"]["B3"].value == 1813.15
    with zipfile.ZipFile(copy) as zf:
        assert zf.testzip() is None
