"""Untrusted templates (issue 14 items 1-3, 9): nothing foreign published, nothing cut short, rendering bounded.

Templates travel between offices. Each hostile template here is built by editing a copy of the default
template (its zip parts, with zipfile and lxml, or a paragraph with python-docx) and run through the real CLI;
every test asserts the exit code, the message (with its place) and the state of the output folder.
"""

from __future__ import annotations

import posixpath
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from lxml import etree

from conftest import ROOT, run_verb
from generator.cli import main
from test_bad_input import assert_refused, plant, run_cli, template_path

R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL = R_NS + "/"


# ----------------------------------------------------------------------------- building hostile packages


def read_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_parts(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def add_relationship(xml: bytes, rel_id: str, kind: str, target: str, external: bool = False) -> bytes:
    root = etree.fromstring(xml)
    attrs = {"Id": rel_id, "Type": kind, "Target": target}
    if external:
        attrs["TargetMode"] = "External"
    etree.SubElement(root, f"{{{PKG_NS}}}Relationship", attrs)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


EXTERNAL_IMAGE = "http://tracker.example.invalid/pixel.png"
UNC_LINK = r"\\fileserver.example.invalid\share\工资表.xlsx"
FILE_LINK = "file:///C:/Users/Public/secret.docx"
REMOTE_TEMPLATE = "http://attacker.example.invalid/Normal.dotm"
WEB_LINK = "https://www.example.gov.cn/zwgk/"
MAIL_LINK = "mailto:czj@example.gov.cn"


def declare_macros(parts: dict[str, bytes], main: str, main_type: str, overrides: dict[str, str]) -> None:
    """[Content_Types].xml of a macro-enabled package: the main part's type, .bin as a macro project, and
    ``overrides`` (part name → type)."""
    types = etree.fromstring(parts["[Content_Types].xml"])
    for el in types:
        if el.get("PartName") == main:
            el.set("ContentType", main_type)
    etree.SubElement(types, f"{{{CT_NS}}}Default", {"Extension": "bin",
                                                      "ContentType": "application/vnd.ms-office.vbaProject"})
    for name, kind in overrides.items():
        etree.SubElement(types, f"{{{CT_NS}}}Override", {"PartName": name, "ContentType": kind})
    parts["[Content_Types].xml"] = etree.tostring(types, xml_declaration=True, encoding="UTF-8", standalone=True)


def hostile_template(source: Path, target: Path) -> None:
    """The default template with a macro project, a remote attached template, an externally linked image,
    UNC and file: hyperlinks, an INCLUDETEXT field and an OLE object — and a web and a mail hyperlink,
    which are a report's own and must stay."""
    parts = read_parts(source)
    # a macro project, the main part declared macro-enabled, as Word saves a .docm
    declare_macros(parts, "/word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml", {
        "/word/vbaData.xml": "application/vnd.ms-word.vbaData+xml",
        "/word/embeddings/oleObject1.bin": "application/vnd.openxmlformats-officedocument.oleObject"})
    parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"AutoOpen\"" * 40
    parts["word/vbaData.xml"] = (b'<?xml version="1.0" encoding="UTF-8"?><wne:vbaSuppData '
                                 b'xmlns:wne="http://schemas.microsoft.com/office/word/2006/wordml"/>')
    parts["word/_rels/vbaProject.bin.rels"] = add_relationship(
        b'<Relationships xmlns="%s"/>' % PKG_NS.encode(), "rId1",
        "http://schemas.microsoft.com/office/2006/relationships/wordVbaData", "vbaData.xml")
    parts["word/embeddings/oleObject1.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    rels = parts["word/_rels/document.xml.rels"]
    rels = add_relationship(rels, "rIdVba", "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                            "vbaProject.bin")
    rels = add_relationship(rels, "rIdImg", REL + "image", EXTERNAL_IMAGE, external=True)
    rels = add_relationship(rels, "rIdUnc", REL + "hyperlink", UNC_LINK, external=True)
    rels = add_relationship(rels, "rIdFile", REL + "hyperlink", FILE_LINK, external=True)
    rels = add_relationship(rels, "rIdWeb", REL + "hyperlink", WEB_LINK, external=True)
    rels = add_relationship(rels, "rIdMail", REL + "hyperlink", MAIL_LINK, external=True)
    rels = add_relationship(rels, "rIdOle", REL + "oleObject", "embeddings/oleObject1.bin")
    parts["word/_rels/document.xml.rels"] = rels
    # the remote attached template: settings.xml → its own relationship, external
    parts["word/_rels/settings.xml.rels"] = add_relationship(
        b'<Relationships xmlns="%s"/>' % PKG_NS.encode(), "rIdTpl", REL + "attachedTemplate", REMOTE_TEMPLATE,
        external=True)
    settings = etree.fromstring(parts["word/settings.xml"])
    attached = etree.Element(f"{{{W_NS}}}attachedTemplate")
    attached.set(f"{{{R_NS}}}id", "rIdTpl")
    settings.insert(0, attached)
    parts["word/settings.xml"] = etree.tostring(settings, xml_declaration=True, encoding="UTF-8", standalone=True)
    # the body: the linked picture, the links, the field and the OLE object, before the first paragraph
    body_xml = (
        f'<w:p xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:r><w:drawing>'
        '<wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
        '<wp:extent cx="9525" cy="9525"/><wp:docPr id="901" name="pixel"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="0" name="pixel"/><pic:cNvPicPr/></pic:nvPicPr>'
        '<pic:blipFill><a:blip r:link="rIdImg"/></pic:blipFill><pic:spPr/></pic:pic>'
        '</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>'
        f'<w:p xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:hyperlink r:id="rIdUnc"><w:r><w:t>共享盘</w:t></w:r></w:hyperlink>'
        '<w:hyperlink r:id="rIdFile"><w:r><w:t>本机文件</w:t></w:r></w:hyperlink>'
        '<w:hyperlink r:id="rIdWeb"><w:r><w:t>政务公开网</w:t></w:r></w:hyperlink>'
        '<w:hyperlink r:id="rIdMail"><w:r><w:t>来信</w:t></w:r></w:hyperlink></w:p>'
        f'<w:p xmlns:w="{W_NS}"><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        r'<w:r><w:instrText xml:space="preserve"> INCLUDETEXT "\\\\fileserver\\share\\x.docx" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>被引用的文字</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        f'<w:p xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:r><w:object>'
        '<o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" Type="Embed" ProgID="Package" '
        'r:id="rIdOle"/></w:object></w:r></w:p>'
    )
    doc = etree.fromstring(parts["word/document.xml"])
    body = doc.find(f"{{{W_NS}}}body")
    for k, p in enumerate(etree.fromstring(f"<x>{body_xml}</x>")):
        body.insert(k, p)
    parts["word/document.xml"] = etree.tostring(doc, xml_declaration=True, encoding="UTF-8", standalone=True)
    write_parts(target, parts)


@pytest.fixture
def hostile(project: Path) -> Path:
    path = template_path(project)
    hostile_template(ROOT / "templates" / "default" / "report.docx", path)
    return project


REMOVED = ("模板中的宏（VBA）已删除（word/vbaProject.bin）",
           f"模板中的链接的外部模板已删除（word/settings.xml: {REMOTE_TEMPLATE}）",
           f"模板中的外部链接的图片已删除（word/document.xml: {EXTERNAL_IMAGE}）",
           f"已删除（word/document.xml: {UNC_LINK}）",
           f"已删除（word/document.xml: {FILE_LINK}）",
           "模板中的不允许的域代码（只保留页码、日期和文档内引用；引用外部文件或数据源等的域删除，保留其显示的文字）已删除（word/document.xml: INCLUDETEXT",
           "模板中的嵌入的 OLE 对象已删除（word/embeddings/oleObject1.bin）")


def test_template_check_names_every_foreign_thing_removed(hostile: Path) -> None:
    result = run_verb(hostile, "template-check")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "模板中的以下内容不属于报告本身，已删除，不会出现在生成的报告中：" in out
    for line in REMOVED:
        assert line in out, f"{line!r} not in\n{out}"
    assert WEB_LINK not in out and MAIL_LINK not in out  # a report's own links are not foreign
    assert not (hostile / "output").exists()


def test_generate_warns_and_publishes_none_of_it(hostile: Path) -> None:
    result = run_cli(hostile)
    assert result.exit_code == 0, result.output
    for line in REMOVED:
        assert line in result.output, f"{line!r} not in\n{result.output}"
    report = next((hostile / "output" / "2024").glob("*报告.docx"))
    parts = read_parts(report)
    names = set(parts)
    assert not any("vba" in n.lower() or n.startswith("word/embeddings/") or n.endswith(".bin") for n in names)
    types = parts["[Content_Types].xml"].decode("utf-8")
    assert "macroEnabled" not in types and "vbaProject" not in types and "oleObject" not in types
    assert 'Extension="bin"' not in types
    assert ('PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"') in types
    # every relationship of the package: internal ones point at parts that exist; external ones are web or mail
    external = []
    for name in (n for n in names if n.endswith(".rels")):
        source_folder = posixpath.dirname(posixpath.dirname(name))  # word/_rels/document.xml.rels → word
        for rel in etree.fromstring(parts[name]):
            target = rel.get("Target")
            if rel.get("TargetMode") == "External":
                external.append((rel.get("Type").rsplit("/", 1)[-1], target))
            else:
                resolved = target.lstrip("/") if target.startswith("/") else \
                    posixpath.normpath(posixpath.join(source_folder, target))
                assert resolved in names, (name, target)
    assert sorted(external) == sorted([("hyperlink", WEB_LINK), ("hyperlink", MAIL_LINK)])
    body = parts["word/document.xml"].decode("utf-8")
    settings = parts["word/settings.xml"].decode("utf-8")
    for gone in ("r:link=", "INCLUDETEXT", "w:object", "OLEObject", "rIdUnc", "rIdFile"):
        assert gone not in body, gone
    assert "attachedTemplate" not in settings
    doc = Document(report)
    texts = [p.text for p in doc.paragraphs]
    assert "共享盘本机文件政务公开网来信" in texts  # the removed links keep their words
    assert "被引用的文字" in texts  # the field's last result stays as plain text
    assert "单位名称：桃源县郑家驿镇人民政府" in texts and "一、单位概况" in texts


# ----------------------------------------------------------------------------- nothing cut short


def assert_template_refused(project: Path, *places: str, extra: tuple[str, ...] = ()) -> str:
    return assert_refused(project, str(template_path(project)), *places, extra=extra)


def test_huge_format_width_is_refused_by_the_sandbox_at_its_paragraph(project: Path) -> None:
    plant(project, "{{ '{:>300000000}'.format('a') }}")
    out = assert_template_refused(project, "第5段“{{ '{:>300000000}'.format('a') }}”")
    assert "不允许" in out and "format width 300000000" in out


@pytest.mark.parametrize("bomb, shown", [
    ("{{ 'a'.ljust(300000000) }}", "ljust(300000000)"),
    ("{{ '%300000000s'|format('a') }}", "300000000"),
    ("{{ '{0:>{1}s}'.format('a', 300000000) }}", "nested format field"),
    ("{{ ('a' * 10000).replace('a', 'a' * 10000) }}", "replace()"),
    ("{{ [1]|batch(300000000)|list }}", "batch(300000000)"),
], ids=["ljust", "percent-format", "nested-width", "replace", "batch"])
def test_other_huge_strings_are_refused_by_the_sandbox(project: Path, bomb: str, shown: str) -> None:
    plant(project, bomb)
    out = assert_template_refused(project, "第5段", shown)
    assert "不允许" in out


@pytest.mark.parametrize("tag", ["{{ 基本信息.单位全称|safe }}", "{% filter safe %}x{% endfilter %}",
                                 "{{ '网址 https://x.cn'|urlize }}"])
def test_filters_that_write_raw_markup_are_named_as_not_allowed(project: Path, tag: str) -> None:
    """``|safe`` would put the template's own text into the XML unescaped — a field including a file, a remote
    link — after the package was cleaned; refused before any workbook is read, here and by --template-check."""
    plant(project, tag)
    assert_template_refused(project, "第5段", "不允许使用过滤器")
    check = run_verb(project, "template-check")
    assert check.exit_code == 1 and "第5段" in check.output and "不允许使用过滤器" in check.output


def test_block_opened_with_p_and_closed_plain_is_refused(project: Path) -> None:
    plant(project, "{%p if 年度 == 1 %}", "{% endif %}（一）机构、人员构成")
    assert_template_refused(project, "第6段", "“{%p if 年度 == 1 %}”与“{% endif %}”不是同一种标签")


def _cross_cell_template(path: Path) -> None:
    """An ``{% if %}`` opened in a table cell and closed after the table: false, it would drop the table's
    closing tags."""
    from docx.text.paragraph import Paragraph

    doc = Document(path)
    table = doc.tables[0]
    cell = table.rows[0].cells[0]
    cell.paragraphs[0].runs[0].text = "{% if 年度 == 1 %}" + cell.paragraphs[0].runs[0].text
    after = table._tbl.getnext()
    while after.tag != f"{{{W_NS}}}p" or not Paragraph(after, doc._body).runs:
        after = after.getnext()
    run = Paragraph(after, doc._body).runs[0]
    run.text = "{% endif %}" + run.text
    doc.save(path)


def test_block_across_a_table_cell_is_refused_before_rendering(project: Path) -> None:
    _cross_cell_template(template_path(project))
    assert_template_refused(project, "表1第1行第1列“{% if 年度 == 1 %}财政供养人员情况（人）”",
                            "跨越了表格单元格的边界")
    assert not (project / "output").exists()


def _cross_link_template(path: Path) -> None:
    """An ``{% if %}`` opened inside a hyperlink and closed after it, in one paragraph: the linter sees one
    paragraph; false, the render drops ``</w:hyperlink>`` and the body is not well-formed any more (docxtpl's
    recovering parse would cut the report there)."""
    doc = Document(path)
    heading = next(p for p in doc.paragraphs if p.text == "一、单位概况")
    link = etree.SubElement(heading._p, f"{{{W_NS}}}hyperlink", {f"{{{W_NS}}}anchor": "概况"})
    heading._p.remove(link)
    heading.runs[0]._r.addprevious(link)
    run = etree.SubElement(link, f"{{{W_NS}}}r")
    etree.SubElement(run, f"{{{W_NS}}}t").text = "{% if 年度 == 1 %}链接"
    heading.runs[0].text = "{% endif %}一、单位概况"
    doc.save(path)


def test_template_whose_output_is_not_well_formed_fails_the_unit_with_the_cause(project: Path) -> None:
    _cross_link_template(template_path(project))
    assert_template_refused(project, "word/document.xml", "不是完整有效的 XML", "未写出任何文件",
                            "Opening and ending tag mismatch: hyperlink",
                            "位置：渲染结果中“一、单位概况”之后，约在模板第5段")
    assert not (project / "output").exists()


def test_rendered_part_over_the_size_limit_is_refused(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.formats import docx_render

    monkeypatch.setattr(docx_render, "MAX_PART_MB", 1)  # 0.5 M characters: the report itself is 0.1 M
    plant(project, "{% for i in range(700) %}{{ '一二三四五六七八九十' * 100 }}{% endfor %}")
    assert_template_refused(project, "word/document.xml", "过大（超过 1 MB）", "未写出文件")
    assert not (project / "output").exists()


@pytest.mark.parametrize("keyword, tag", [("include", "{% include 'other.docx' %}"),
                                          ("import", "{% import 'macros.docx' as m %}"),
                                          ("from", "{% from 'macros.docx' import x %}"),
                                          ("extends", "{% extends 'base.docx' %}")])
def test_include_and_import_are_named_as_not_allowed_in_generate_and_template_check(project: Path, keyword: str,
                                                                                    tag: str) -> None:
    plant(project, tag)
    expected = f"不支持引用其他模板（{keyword}）"
    assert_template_refused(project, "第5段", expected)
    check = run_verb(project, "template-check")
    assert check.exit_code == 1 and expected in check.output and "第5段" in check.output
    assert "Traceback" not in check.output


def test_undefined_name_inside_a_loop_is_located_at_its_paragraph(project: Path) -> None:
    """A name only the render can find missing (an item's field inside a loop): named at its paragraph."""
    plant(project, "一、单位概况", "{% for 段 in 文字内容.单位职责 %}{{ 段.并无此项 }}{% endfor %}")
    assert_refused(project, "并无此项", "第6段")


# ----------------------------------------------------------------------------- bounded rendering

NESTED = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
# (no single text may pass render.MAX_STRING: the output itself grows, 4 MB a step, until the memory limit)
GROWING = "{% for i in range(100000) %}{{ '😀' * 999999 }}{% endfor %}"


def test_nested_loops_stop_at_the_time_limit(project: Path) -> None:
    plant(project, NESTED)
    assert_template_refused(project, "渲染超过 1 秒，已停止", "第5段", "--limit-seconds",
                            extra=("--limit-seconds", "1"))
    assert not (project / "output").exists()


def test_growing_string_stops_at_the_memory_limit(project: Path) -> None:
    plant(project, GROWING)
    assert_template_refused(project, "占用内存超过 64 MB，已停止", "第5段", "--limit-mb",
                            extra=("--limit-mb", "64"))
    assert not (project / "output").exists()


@pytest.mark.parametrize("bomb, flags, expected", [
    (NESTED, ("--limit-seconds", "1"), "渲染超过 1 秒，已停止"),
    (GROWING, ("--limit-mb", "64"), "占用内存超过 64 MB，已停止"),
], ids=["time", "memory"])
def test_template_check_is_bounded_the_same_way(project: Path, bomb: str, flags: tuple[str, ...],
                                                expected: str) -> None:
    plant(project, bomb)
    result = run_verb(project, "template-check", *flags)
    assert result.exit_code == 1, result.output
    assert expected in result.output and "试渲染" in result.output and "第5段" in result.output
    assert not (project / "output").exists()


def county_with_a_looping_township(root: Path) -> tuple[Path, list[str]]:
    """Three units; 丙镇 has its own template whose loops never end."""
    from test_overlap import make_county

    data = make_county(root, 3)
    units = sorted(p.name for p in data.iterdir())
    own = root / "templates" / units[2] / "report.docx"
    own.parent.mkdir(parents=True)
    shutil.copy(ROOT / "templates" / "default" / "report.docx", own)
    plant_at(own, NESTED)
    return data, units


def plant_at(path: Path, text: str) -> None:
    doc = Document(path)
    p = next(p for p in doc.paragraphs if p.text == "一、单位概况")
    for r in p.runs[1:]:
        r._r.getparent().remove(r._r)
    p.runs[0].text = text
    doc.save(path)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_in_a_batch_the_unit_fails_alone_and_the_summary_is_written(tmp_path: Path, jobs: str) -> None:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    data, units = county_with_a_looping_township(tmp_path)
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(data), "--templates",
                                       str(tmp_path / "templates"), "--out", str(tmp_path / "output"),
                                       "--jobs", jobs, "--limit-seconds", "1"])
    out = result.output
    assert result.exit_code == 1, out
    assert f"{units[2]}" in out and "渲染超过 1 秒，已停止" in out
    assert "共 3 个单位：2 个已生成，1 个失败" in out
    folder = tmp_path / "output" / "2024"
    reports = sorted(str(p.relative_to(folder)) for p in folder.glob("*/*报告.docx"))  # each in its unit's folder
    assert len(reports) == 2 and not any(units[2] in r for r in reports)
    assert all(r.split("/")[0] in units[:2] for r in reports)
    assert (folder / "2024年度部门整体支出绩效自评汇总表.xlsx").exists()
    assert not list(folder.rglob(".tmp-*"))
