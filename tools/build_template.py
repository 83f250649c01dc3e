"""Build the default Word template ``templates/default/report.docx``.

The template is what clerks edit in Word; this script is how developers
(re)create the default one. Every paragraph is one plain run in a named style
(one style per role), so tags stay intact and formatting stays clean.
Run: ``python tools/build_template.py [path]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docx_styles as ds  # noqa: E402

# (style, text). Style keys map to the styles defined in ``define_styles``.
BODY: list[tuple[str, str]] = [
    ("cover", "单位名称：{{ 基本信息.单位全称 }}"),
    ("cover", "{{ 基本信息.报告日期|日期 }}"),
    ("title", "{{ 报告名称 }}"),
    ("blank", ""),
    ("h1", "一、单位概况"),
    ("h2", "（一）机构、人员构成"),
    ("body", "{{ 基本信息.单位简称 }}内设机构{{ 机构.内设机构.公布个数|个数 }}个：{{ 机构.内设机构.名单|列举('、') }}；"
             "下设{{ 机构.下设机构.概述 }}：{{ 机构.下设机构.名单|列举('、') }}。"),
    ("body", "人员构成：截止{{ 年度 }}年12月底，{{ 基本信息.辖区名称 }}核定编制{{ 人员编制.合计.核定编制|个数 }}个，"
             "实有编制人数{{ 人员编制.合计.实有人数|个数 }}人，其中核定行政编制{{ 人员编制.行政编制.核定编制|个数 }}个，"
             "机关工勤{{ 人员编制.机关工勤.核定编制|个数 }}个，实有行政人员{{ 人员编制.行政编制.实有人数|个数 }}人，"
             "机关工勤{{ 人员编制.机关工勤.实有人数|个数 }}人；财政所编制数{{ 人员编制.财政所.核定编制|个数 }}个，"
             "实有财政所人员{{ 人员编制.财政所.实有人数|个数 }}人。核定事业编制{{ 人员编制.事业编制.核定编制|个数 }}个，"
             "实有{{ 人员编制.事业编制.实有人数|个数 }}人：{% for 单位 in 人员编制.事业编制.下级 %}{{ 单位.类别 }}核定编制"
             "{{ 单位.核定编制|个数 }}个，实有{{ 单位.实有人数|个数 }}人{% if loop.last %}。{% else %}；{% endif %}{% endfor %}"),
    ("h2", "（二）单位主要职责"),
    ("body", "{{ 基本信息.单位全称 }}系{{ 基本信息.单位性质及级别 }}，办公地址为{{ 基本信息.办公地址 }}。本单位主要职责："),
    ("body", "{%p for 段 in 文字内容.单位职责 %}"),
    ("body", "{{ loop.index }}.{{ 段.内容 }}"),
    ("body", "{%p endfor %}"),
    ("h1", "二、部门财务情况"),
    ("h2", "（一）部门整体支出情况"),
    ("h3", "1.资产负债及净资产情况"),
    ("body", "{{ 年度 }}年12月31日单位资产总额{{ 财务.资产总额|万元 }}万元，其中：流动资产"
             "{{ 财务.流动资产|万元 }}万元、非流动资产{{ 财务.非流动资产|万元 }}万元；负债总额"
             "{{ 财务.负债总额|万元 }}万元，净资产总额{{ 财务.净资产总额|万元 }}万元。"),
    ("h3", "2.部门预算收支决算情况"),
    ("body", "{{ 年度 }}年部门年初预算收入{{ 财务.年初预算收入|万元 }}万元。决算收入{{ 财务.决算收入|万元 }}万元，"
             "其中：一般公共预算拨款{{ 财务.一般公共预算拨款|万元 }}万元，政府性基金预算财政拨款收入"
             "{{ 财务.政府性基金预算财政拨款收入|万元 }}万元，国有资本经营预算财政拨款收入"
             "{{ 财务.国有资本经营预算财政拨款收入|万元 }}万元，{% if 财务.纳入专户管理的非税收入拨款 %}纳入专户管理的非税收入拨款"
             "{{ 财务.纳入专户管理的非税收入拨款|万元 }}万元，{% endif %}其他收入{{ 财务.其他收入|万元 }}万元。"
             "上年结转{{ 财务.上年结转|数字 }}万元。"),
    ("body", "{{ 年度 }}年部门年初预算支出{{ 财务.年初预算支出|万元 }}万元，其中：基本支出{{ 财务.年初预算基本支出|万元 }}万元，"
             "项目支出{{ 财务.年初预算项目支出|万元 }}万元。部门决算支出{{ 财务.决算支出|万元 }}万元，其中：基本支出"
             "{{ 财务.决算基本支出|万元 }}万元，项目支出{{ 财务.决算项目支出|万元 }}万元。"),
    ("body", "年末结转结余{{ 财务.年末结转结余|数字 }}万元。"),
    ("h2", "（二）“三公经费”支出使用和管理情况"),
    ("body", "本年三公经费支出{{ 三公经费.本年决算.合计|元 }}元{% if 三公经费.本年构成 %}，{{ 三公经费.本年构成 }}{% endif %}，"
             "{{ 上年度 }}年三公经费支出{{ 三公经费.上年决算.合计|元 }}元{% if 三公经费.上年构成 %}，"
             "{{ 三公经费.上年构成 }}{% endif %}。{% if 文字内容.三公经费说明 is defined %}{{ 文字内容.三公经费说明.全文 }}，"
             "因此{% endif %}{{ 三公经费.增减结论 }}。"),
    ("h1", "三、部门绩效目标"),
    ("h2", "（一）部门绩效总目标"),
    ("body", "{%p for 目标 in 文字内容.绩效总目标 %}"),
    ("body", "（{{ loop.index }}）{{ 目标.内容 }}"),
    ("body", "{%p endfor %}"),
    ("h2", "（二）部门{{ 年度 }}年度绩效目标"),
    ("body", "{%p for 一级 in 绩效指标.一级 %}"),
    ("h4", "（{{ loop.index }}）{{ 一级.名称 }}"),
    ("body", "{%p for 二级 in 一级.二级 %}"),
    ("body", "{% if 一级.二级|length > 1 %}{{ loop.index|带圈序号 }}{% endif %}{{ 二级.名称 }}。{{ 二级.目标句 }}"),
    ("body", "{%p endfor %}"),
    ("body", "{%p endfor %}"),
    ("h1", "四、绩效评价工作情况"),
    ("body", "{{ 文字内容.评价工作情况.全文 }}根据部门整体支出绩效评价指标评分标准，{{ 年度 }}年我单位部门整体绩效评价自评分为"
             "{{ 自评.总分|分数 }}分。"),
    ("h1", "五、部门整体支出绩效情况"),
    ("h2", "（一）部门产出指标完成情况"),
    ("body", "{%p for 二级 in 绩效指标.产出指标.二级 %}"),
    ("body", "{{ loop.index }}.{{ 二级.名称 }}。{{ 二级.完成句 }}"),
    ("body", "{%p endfor %}"),
    ("h2", "（二）部门效益指标完成情况"),
    ("body", "{%p for 段 in 文字内容.效益完成情况 %}"),
    ("body", "{{ loop.index }}.{% if 段.小标题 %}{{ 段.小标题 }}。{% endif %}{{ 段.内容 }}"),
    ("body", "{%p endfor %}"),
    ("body", "{%p if 绩效指标.满意度指标 is defined %}"),
    ("body", "{{ 文字内容.效益完成情况|length + 1 }}.满意度。{% for 二级 in 绩效指标.满意度指标.二级 %}{{ 二级.完成句 }}"
             "{% endfor %}"),
    ("body", "{%p endif %}"),
    ("h1", "六、存在的主要问题及原因分析"),
    ("h2", "（一）存在的问题"),
    ("body", "{%p for 段 in 文字内容.存在问题 %}"),
    ("body", "{{ loop.index }}.{% if 段.小标题 %}{{ 段.小标题 }}。{% endif %}{{ 段.内容 }}"),
    ("body", "{%p endfor %}"),
    ("h2", "（二）原因分析"),
    ("body", "{%p for 段 in 文字内容.原因分析 %}"),
    ("body", "{{ loop.index }}.{% if 段.小标题 %}{{ 段.小标题 }}。{% endif %}{{ 段.内容 }}"),
    ("body", "{%p endfor %}"),
    ("h1", "七、下一步改进措施"),
    ("body", "{%p for 段 in 文字内容.改进措施 %}"),
    ("h2", "（{{ loop.index|中文序号 }}）{{ 段.小标题 }}"),
    ("body", "{{ 段.内容 }}"),
    ("body", "{%p endfor %}"),
    ("h1", "八、有关建议"),
    ("body", "{%p for 段 in 文字内容.有关建议 %}"),
    ("body", "{{ 段.内容 }}"),
    ("body", "{%p endfor %}"),
    ("blank", ""),
    ("annex_note", "附件：1.部门整体支出绩效评价基础数据表"),
    ("annex_note_cont", "2.部门整体支出绩效自评表"),
    ("annex_note_cont", "3.项目支出绩效自评表"),
]

STYLE_NAMES = {
    "title": "公文标题",
    "cover": "封面信息",
    "h1": "Heading 1",
    "h2": "Heading 2",
    "h3": "Heading 3",  # “1.” sub-headings, e.g. 1.资产负债及净资产情况
    "h4": "Heading 4",  # “（1）” sub-headings, e.g. （1）产出指标
    "body": "正文",
    "blank": "正文",
    "annex_note": "附件说明",
    "annex_note_cont": "附件说明续行",
}


# Styles offered to template authors though the default text does not use them yet:
# kept by ``slim_package`` so a clerk (or the BODY list) can apply them.
OFFERED_STYLES = ("Heading 3", "Heading 4")


def define_styles(doc) -> None:
    """One style per role, GB/T 9704 sizes, on the 22 × 28 body grid.

    Body text (正文, the headings and the list styles) is 3号 at a fixed line
    spacing equal to the grid's line pitch, snaps to the grid and is set at
    98 % width so 28 characters fill a line in LibreOffice too (see
    docs/layout.md). Headings of every level keep with the next paragraph;
    the title, the attachment and the table styles keep their own sizes
    (snapToGrid off).
    """
    ds.doc_defaults(doc)
    width, height = ds.text_area(doc.sections[0])  # the portrait body section, set up before
    pitch = ds.line_pitch_twips(height)
    cell = ds.char_pitch_twips(ds.char_space(width))
    normal = doc.styles["Normal"]
    ds.set_fonts(normal, ds.FANGSONG, size=ds.SIZE_3)
    normal.paragraph_format.space_after = ds.Pt(0)
    ds.set_line_exact(normal, pitch)
    ds.set_on_off(normal.element.get_or_add_pPr(), "w:widowControl", True)
    body = dict(line_twips=pitch, widow_control=True, scale_pct=ds.BODY_SCALE_PCT, char_twips=cell)
    ds.paragraph_style(doc, "正文", first_line_chars=2, **body)
    ds.paragraph_style(doc, "封面信息", align=WD_ALIGN_PARAGRAPH.LEFT, **body)
    ds.paragraph_style(doc, "公文标题", east_asia=ds.TITLE_FONT, size=ds.SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER,
                       line_exact=36, snap_to_grid=False, keep_with_next=True, keep_lines=True)
    heading = dict(first_line_chars=2, keep_with_next=True, keep_lines=True, align=WD_ALIGN_PARAGRAPH.LEFT,
                   line_twips=pitch, widow_control=True, next_style="正文", char_twips=cell)
    # GB/T 9704 §7.3.3: 一、 黑体; （一） 楷体; 1. and （1） 仿宋
    # Heading 3 is for “1.资产负债及净资产情况”-style lines, Heading 4 for “（1）产出指标”-style lines.
    levels = (("Heading 1", ds.HEI), ("Heading 2", ds.KAI), ("Heading 3", ds.FANGSONG), ("Heading 4", ds.FANGSONG))
    for outline, (name, face) in enumerate(levels):
        h = ds.paragraph_style(doc, name, east_asia=face, outline=outline,
                               scale_pct=ds.BODY_SCALE_PCT, **heading)
        h.font.bold = False
        h.font.italic = False
        h.hidden = False  # python-docx's Heading 3/4 are semiHidden: show them in Word's style gallery
        h.unhide_when_used = False
    # the attachment list never splits: every line keeps with the next
    ds.paragraph_style(doc, "附件说明", first_line_chars=2, align=WD_ALIGN_PARAGRAPH.LEFT, keep_with_next=True,
                       keep_lines=True, **body)
    cont = ds.paragraph_style(doc, "附件说明续行", align=WD_ALIGN_PARAGRAPH.LEFT, keep_with_next=True,
                              keep_lines=True, **body)
    # aligned under the first attachment name ("附件：" after the 2-character indent)
    ds.set_indent_chars(cont, left_chars=5, twips_per_char=cell)
    own = dict(snap_to_grid=False, widow_control=True)
    ds.paragraph_style(doc, "附件标记", east_asia=ds.HEI, align=WD_ALIGN_PARAGRAPH.LEFT, line_twips=pitch,
                       keep_with_next=True, **own)
    ds.paragraph_style(doc, "附表标题", east_asia=ds.TITLE_FONT, size=ds.SIZE_S2, align=WD_ALIGN_PARAGRAPH.CENTER,
                       line_exact=None, keep_with_next=True, keep_lines=True, **own)
    ds.paragraph_style(doc, "附表说明", size=ds.SIZE_S4, align=WD_ALIGN_PARAGRAPH.LEFT, line_exact=None,
                       keep_with_next=True, **own)
    ds.paragraph_style(doc, "附表注释", size=ds.SIZE_S4, align=WD_ALIGN_PARAGRAPH.JUSTIFY, line_exact=None,
                       keep_lines=True, **own)
    ds.paragraph_style(doc, "表格文字", size=ds.SIZE_5, align=WD_ALIGN_PARAGRAPH.CENTER, line_exact=None, **own)
    ds.paragraph_style(doc, "表格文字左对齐", base="表格文字", size=ds.SIZE_5, align=WD_ALIGN_PARAGRAPH.LEFT,
                       line_exact=None, **own)
    ds.paragraph_style(doc, "表头文字", size=ds.SIZE_5, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, line_exact=None,
                       **own)
    ds.paragraph_style(doc, "页码", east_asia=ds.SONG, latin=ds.SONG, size=ds.SIZE_4, line_exact=None,
                       snap_to_grid=False)


def build(path: Path) -> None:
    doc = Document()
    section = doc.sections[0]
    ds.page_setup(section)
    define_styles(doc)
    doc.settings.odd_and_even_pages_header_footer = True
    theme_lang = doc.settings.element.find(ds.qn("w:themeFontLang"))
    if theme_lang is not None:  # python-docx's default document says Japanese
        theme_lang.set(ds.qn("w:eastAsia"), "zh-CN")
    ds.page_number_footers(section)
    body = doc.paragraphs[0] if doc.paragraphs else None
    for i, (role, text) in enumerate(BODY):
        p = body if (i == 0 and body is not None) else doc.add_paragraph()
        p.style = STYLE_NAMES[role]
        if text:
            p.add_run(text)
    try:
        import template_attachments  # the three attachment tables
    except ImportError:
        template_attachments = None
    if template_attachments is not None:
        template_attachments.build(doc)
    slim_package(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)


STYLE_REFS = ("pStyle", "rStyle", "tblStyle", "numStyleLink", "styleLink")
DROP_RELS = ("/stylesWithEffects", "/metadata/thumbnail")


def slim_package(doc) -> None:
    """Keep only the styles the template uses; drop python-docx's leftover parts.

    python-docx's default document carries ~170 unused styles (355 KB of
    styles.xml), a Word 2010 stylesWithEffects.xml copy and a thumbnail of its
    own blank page. Pruned, the style list a clerk sees in Word holds just the
    roles of this template, and every render parses and saves ~0.8 MB less.
    """
    from docx.oxml.ns import qn

    styles = doc.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    parts = [doc.part] + [rel.target_part for rel in doc.part.rels.values()
                          if not rel.is_external and rel.reltype.endswith(("/header", "/footer", "/numbering"))]
    wanted = {sid for sid, s in by_id.items() if s.get(qn("w:default")) in ("1", "true")}
    wanted |= {doc.styles[name].style_id for name in OFFERED_STYLES}
    for part in parts:
        for tag in STYLE_REFS:
            wanted |= {el.get(qn("w:val")) for el in part.element.iter(qn(f"w:{tag}"))}
    todo = list(wanted)
    while todo:  # styles the used ones are based on, continue into or link to
        style = by_id.get(todo.pop())
        if style is None:
            continue
        for tag in ("basedOn", "next", "link"):
            el = style.find(qn(f"w:{tag}"))
            if el is not None and el.get(qn("w:val")) not in wanted:
                wanted.add(el.get(qn("w:val")))
                todo.append(el.get(qn("w:val")))
    for sid, style in by_id.items():
        if sid not in wanted:
            styles.remove(style)
    for owner in (doc.part, doc.part.package):
        for rid, rel in list(owner.rels.items()):
            if rel.reltype.endswith(DROP_RELS):
                owner.rels.pop(rid)


ROOT = Path(__file__).resolve().parents[1]
# the county's default template, and the same file shipped in the package (``generate new-unit`` in an empty
# county folder copies it); tests/test_new_unit.py checks that the two are the same
TARGETS = (ROOT / "templates" / "default" / "report.docx", ROOT / "generator" / "default_template" / "report.docx")

if __name__ == "__main__":
    if len(sys.argv) > 1:
        build(Path(sys.argv[1]))
        print(sys.argv[1])
    else:
        build(TARGETS[0])
        TARGETS[1].parent.mkdir(parents=True, exist_ok=True)
        TARGETS[1].write_bytes(TARGETS[0].read_bytes())
        print("\n".join(map(str, TARGETS)))
