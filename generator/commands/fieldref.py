"""``docs/fields.md``: the names a template may use (``generator/fields.py``), the filters and the names a
unit's own data makes, for the example workbook:
``python -m generator.commands.fieldref data/2024.xlsx > docs/fields.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..fields import MEANINGS, field_rows, filter_rows
from ..layout import workbook_path

def _cell(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "…"


OPEN_NAMES = (  # (generic name, a concrete example) of the names a unit's own data makes
    ("机构.‹分组›", "机构.派驻机构.名称"), ("机构.‹分组›.名单", "机构.内设机构.名单|列举"),
    ("机构.‹分组›.个数", "机构.下设机构.个数"), ("机构.‹分组›.公布个数", "机构.内设机构.公布个数"),
    ("机构.‹分组›.概述", "机构.下设机构.概述"), ("机构.‹分组›.列举", "机构.内设机构.列举"),
    ("人员编制.‹类别›", "人员编制.行政编制.类别"), ("人员编制.‹类别›.核定编制", "人员编制.全额拨款事业编制.核定编制|个数"),
    ("人员编制.‹类别›.实有人数", "人员编制.财政所.实有人数|个数"), ("人员编制.‹类别›.上级", "人员编制.财政所.上级"),
    ("人员编制.‹类别›.下级", "人员编制.事业编制.下级|length"), ("人员编制.‹类别›.超编人数", "人员编制.合计.超编人数|个数"),
    ("人员编制.‹类别›.编制使用率", "人员编制.合计.编制使用率|百分比"),
    ("文字内容.‹栏目›", "文字内容.自评组织.全文"), ("文字内容.‹栏目›[].小标题", "段.小标题"),
    ("文字内容.‹栏目›[].内容", "段.内容"),
    ("概况数据.‹名称›", "概况数据.村"),
)


def _rendered(env: Any, example: str, values: dict[str, Any]) -> str:
    try:
        return env.from_string(example).render(**values, loop={"index": 3})
    except Exception:  # an example the sample cannot show: the column stays empty
        return ""


def document(workbook: Path) -> str:
    """docs/fields.md for the example workbook."""
    from ..pipeline import load
    from ..render import make_env

    _, ctx, _ = load(workbook, None)
    env = make_env()
    out = ["# 模板中可用的名称（变量）和过滤器", "",
           "由 `python -m generator.commands.fieldref data/2024.xlsx > docs/fields.md` 根据示例工作簿生成，请勿手工修改"
           "（测试会核对本文件与程序一致）。", "",
           "模板写法：`{{ 名称|过滤器 }}`，名称就是工作簿里的表名和标签，例如 `{{ 财务.资产总额|万元 }}`。"
           "列表（如 `项目`）用 `{% for 项 in 项目 %}…{% endfor %}` 逐项取用，表中写作 `项目[].项目名称`；"
           "整段循环写作 `{%p for 段 in 文字内容.单位职责 %}` … `{%p endfor %}`（标签单独占一段），表格行循环写作 "
           "`{%tr for 行 in 绩效指标.行 %}` … `{%tr endfor %}`，表格纵向合并写作 `{% vmerge 行.一级首行 %}`。"
           "旧模板中的英文名称（如 `finance.assets_total`）仍然可用，列在“英文别名”一栏。"
           "每个工作簿的“模板字段”表列出本工作簿的全部名称和它们将显示的内容。"
           "改好模板后先运行 `generate template-check --year 2024 --unit 单位` 检查。", "",
           "## 过滤器", "", "| 过滤器 | 英文别名 | 作用 | 示例 | 示例结果 |", "|---|---|---|---|---|"]
    out += [f"| `{n}` | {f'`{a}`' if a else ''} | {d} | `{_cell(e)}` | {_cell(_rendered(env, e, ctx.values))} |"
            for n, a, d, e in filter_rows()]
    out += ["", "另可使用 Jinja 自带的 join、length、default、first、last 等。", "",
            "## 由本单位工作簿决定的名称", "",
            "工作簿中的一些表由各单位自己决定有哪些行：“机构”表的分组（内设机构、下设机构、派驻机构……），"
            "“人员编制”表的类别（行政编制、全额拨款事业编制、执行公务员津补贴人员、财政所……，“上级”填所属类别），"
            "“文字内容”表的栏目（任何名称，一行一段），“概况数据”表的名称（村 31 个、人口 6万余人……，"
            "带单位和类型）。模板用它们的名称取用，下表中写作 ‹分组›、‹类别›、‹栏目›、‹名称›。"
            "模板用到而工作簿中没有的名称，检查和生成时会指出模板段落和应填写的表。", "",
            "| 名称 | 含义 | 写法示例 |", "|---|---|---|"]
    out += [f"| `{name}` | {_cell(MEANINGS[name])} | `{_cell('{{ ' + example + ' }}')}` |" for name, example in OPEN_NAMES]
    out += ["", "## 名称（示例工作簿）", "", "| 名称 | 类型 | 含义 | 来自 | 示例值 | 英文别名 |",
            "|---|---|---|---|---|---|"]
    for row in field_rows(ctx):
        source = "；".join(c.split(" › ", 1)[-1] for c in row.cells[:2]) + ("…" if len(row.cells) > 2 else "")
        out.append(f"| `{row.name}` | {row.kind} | {_cell(row.meaning)} | {_cell(source)} | {_cell(row.value)} | "
                   f"{f'`{row.alias}`' if row.alias else ''} |")
    return "\n".join(out) + "\n"


def main() -> None:
    workbook = Path(sys.argv[1]) if len(sys.argv) > 1 else workbook_path(Path("data"), 2024)
    sys.stdout.reconfigure(encoding="utf-8")
    sys.stdout.write(document(workbook))


if __name__ == "__main__":
    main()
