"""``generate rules``: write the county's blank settings workbook ``DATA/评分规则.xlsx``.

A sheet per rule family (``rules.py`` reads the same sheets and labels), laid out like the
clerk's workbook (``workbook_layout.py``): title in row 1, headers in row 2, yellow input
cells from row 3, the national default beside each rule, labels locked by sheet protection
without a password, numbers checked by data validation. Every input cell is left empty:
empty is the national rule, so the workbook as written changes no score.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment

from .. import rules as r
from .. import schema
from ..errors import UserError
from ..formats import xlsx_book as xb
from ..messages import msg
from ..workbook_layout import (ALLOW, BORDER, CELL_FONT, HELP_FONT, LABEL_FILL, LABEL_FONT, TITLE_FONT, input_cell,
                               put_header, put_title)

INSTRUCTIONS = "说明"
NATIONAL_WEIGHT_TEXT = {**{k: str(v) for k, v in r.NATIONAL_WEIGHTS.items()}, "成本指标": "—"}
INSTRUCTION_LINES = (
    "评分规则（县财政局或单位按本年度规则填写；空着的规则按国家默认，即财预〔2020〕10号）",
    "",
    "本工作簿放在数据文件夹中（与各单位文件夹并列，如 data/评分规则.xlsx），对该文件夹中所有单位生效；"
    "只有一个单位时（data/2024.xlsx），放在同一文件夹中即可。单位文件夹中的评分规则不起作用，单位工作簿也不能改变县规则。",
    "只能在黄色单元格中填写。每张表是一类规则；一类规则全部空着，就按国家默认计分。",
    "",
    "计分顺序：① 指标得分（定性指标按“评价等级得分”的比例）→ ② 超目标扣分 → ③ 一级指标权重折算 → ④ 总分 → "
    "⑤ 按预算执行率封顶；最后按“等级划分”定等级。每一步改动了哪个数字，都写在审核清单（-审核.md、-审核.xlsx）"
    "和附件2（部门整体支出绩效自评表）的注中。",
    "",
    "例（某县）：执行率封顶 填 70、80、89 / 60、70、79 / 50、60、69 / 0、50、59 四行；超目标扣分 填 30 和 2。"
    "某单位预算执行率 75.00%，按国家规则总分 92.40 分，则按县规则总分最高 89 分，调为 89.00 分；"
    "某指标年度指标值 100 户、实际完成 140 户，超过目标 40%，该指标扣 2 分。",
    "",
    "各表说明：",
    "· 规则名称：简短的名称（如 桃源县2024年），写在汇总表的“评分规则”列和附件2的注中。",
    "· 一级指标权重：预算执行率、产出、效益、满意度（及可选的成本指标）的分值，合计 100 分。单位所填各指标分值之和"
    "与权重不同时，该一级指标的得分按 得分 × 权重 ÷ 分值合计 折算。",
    "· 执行率封顶：每档一行，执行率下限（含）至上限（不含），以报告所列的执行率（两位小数的百分数）为准；"
    "各档首尾相接、不重叠，最低一档从 0 开始；总分最高不超过 100。",
    "· 超目标扣分：实际完成值超过年度指标值（≥、达到、= 类指标）的幅度达到所填百分比时，该指标扣所填分数（不低于 0 分）；"
    "手工得分也照扣，仍注明“手工评分”。",
    "· 评价等级得分：定性指标的得分比例（达成 / 部分达成 / 未达成）。",
    "· 等级划分：优、良、中、差的最低分，差为 0。",
)


def _label(ws, row: int, col: int, text: str) -> None:
    c = ws.cell(row=row, column=col, value=text)
    c.font, c.fill, c.border = LABEL_FONT, LABEL_FILL, BORDER


def _help(ws, row: int, col: int, text: str) -> None:
    c = ws.cell(row=row, column=col, value=text)
    c.font, c.alignment = HELP_FONT, Alignment(wrap_text=True, vertical="top")


def _labelled(wb: Workbook, name: str, title: str, headers: list[str], rows: list[tuple[str, str, str]],
              prompt: str, maximum: int | None = 100) -> None:
    """A sheet of labelled rows: label | input | national default | help."""
    ws = wb.create_sheet(name)
    put_title(ws, title)
    put_header(ws, headers)
    for i, (label, default, help_text) in enumerate(rows, start=r.FIRST_ROW):
        _label(ws, i, 1, label)
        input_cell(ws.cell(row=i, column=2), "text")
        if len(headers) > 3:
            ws.cell(row=i, column=3, value=default).font = CELL_FONT
        _help(ws, i, len(headers), help_text)
    last = r.FIRST_ROW + len(rows) - 1
    ref = f"B{r.FIRST_ROW}:B{last}"
    if name != r.SHEET_INFO:
        xb.validate_number(ws, ref, prompt, minimum=0, maximum=maximum)
    else:
        xb.validate_kind(ws, f"B{r.FIRST_ROW + 1}", "year")  # 适用年度
    for col, width in zip("ABCD", (22, 16, 14, 60) if len(headers) > 3 else (22, 30, 60)):
        ws.column_dimensions[col].width = width
    xb.print_setup(ws, title_rows=schema.HEADER_ROW)
    xb.protect(ws, ref, allow=ALLOW)


def _caps(wb: Workbook) -> None:
    ws = wb.create_sheet(r.SHEET_CAPS)
    put_title(ws, "按预算执行率封顶总分（不填：不封顶，国家默认）")
    put_header(ws, list(r.CAP_HEADERS) + ["填写说明"])
    last = r.FIRST_ROW + r.CAP_ROWS - 1
    for row in range(r.FIRST_ROW, last + 1):
        for col in (1, 2, 3):
            input_cell(ws.cell(row=row, column=col), "text")
    _help(ws, r.FIRST_ROW, 4, "每档一行：执行率在下限（含）至上限（不含）之间时，总分最高为所填分数。"
                              "如 70、80、89 表示执行率 70%—80% 的总分最高 89 分。各档首尾相接、不重叠，最低一档从 0 开始。")
    xb.validate_number(ws, f"A{r.FIRST_ROW}:B{last}", "请输入百分数的数字，如 70 表示 70%。", minimum=0)
    xb.validate_number(ws, f"C{r.FIRST_ROW}:C{last}", "请输入分数，如 89。", minimum=0, maximum=100)
    for col, width in zip("ABCD", (16, 16, 12, 60)):
        ws.column_dimensions[col].width = width
    xb.print_setup(ws, title_rows=schema.HEADER_ROW)
    xb.protect(ws, f"A{r.FIRST_ROW}:C{last}", allow=ALLOW)


def _instructions(ws) -> None:
    ws.column_dimensions["A"].width = 110
    for i, line in enumerate(INSTRUCTION_LINES, start=1):
        c = ws.cell(row=i, column=1, value=line)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        c.font = TITLE_FONT if i == 1 else CELL_FONT
    xb.print_setup(ws)


def rules_workbook() -> Workbook:
    """The blank settings workbook (every rule empty: the national ones)."""
    wb = Workbook()
    ws = wb.active
    ws.title = INSTRUCTIONS
    _instructions(ws)
    _labelled(wb, r.SHEET_INFO, "规则名称", ["项目", "内容", "填写说明"],
              [(r.LABEL_NAME, "", "可不填：简短的名称，如“桃源县2024年”，写在汇总表和附件2的注中。"),
               (r.LABEL_YEAR, "", "可不填：填写后只用于该年度的报告（如 2024），换年时提醒另写当年的规则。")], "")
    _labelled(wb, r.SHEET_WEIGHTS, "一级指标权重（不填：各指标分值按单位所填，国家默认 10/50/30/10）",
              ["一级指标", "权重（分）", "国家默认", "填写说明"],
              [(name, NATIONAL_WEIGHT_TEXT[name],
                "要填就把预算执行率、产出、效益、满意度都填上，合计 100 分" if k == 0 else
                ("可不填；单位有成本指标（一级）时可给它权重" if name == "成本指标" else ""))
               for k, name in enumerate(r.WEIGHT_NAMES)], "请输入分数，如 50。")
    _caps(wb)
    _labelled(wb, r.SHEET_OVER, "超目标扣分（不填：不扣分，国家默认）", ["项目", "内容", "国家默认", "填写说明"],
              [(r.OVER_THRESHOLD, "不扣分", "如 30：实际完成值超过年度指标值 30% 及以上"),
               (r.OVER_POINTS, "不扣分", "如 2：该指标扣 2 分（不低于 0 分）")], "请输入数字，如 30。", maximum=1000)
    _labelled(wb, r.SHEET_SHARES, "定性指标评价等级的得分比例（不填：国家默认）", ["评价等级", "得分比例（%）", "国家默认", "填写说明"],
              [(band, f"{r.NATIONAL_SHARES[band] * 100:.0f}", "该指标得分 = 分值 × 比例") for band in schema.BANDS],
              "请输入百分数的数字，如 60 表示 60%。")
    _labelled(wb, r.SHEET_GRADES, "评价等级划分（不填：国家默认）", ["等级", "最低分", "国家默认", "填写说明"],
              [(g, str(low), "总分不低于此分为该等级" if low else "最低一档，为 0") for g, low in r.NATIONAL_GRADES],
              "请输入分数，如 90。")
    return wb


def init_rules(data_dir: Path | str) -> list[str]:
    """Write the blank ``DATA/评分规则.xlsx``; refuse to overwrite one. Returns the lines to print."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise UserError(msg("data_dir_missing", path=data_dir))
    path = r.rules_path(data_dir)
    if path.exists() or path.is_symlink():
        raise UserError(msg("rules_exists", path=path))
    fd, tmp = tempfile.mkstemp(prefix=".评分规则-", suffix=".xlsx", dir=data_dir)
    os.close(fd)
    try:
        rules_workbook().save(tmp)
        os.chmod(tmp, 0o644)  # (mkstemp makes it private; the county's folder is shared like the units' workbooks)
        try:
            os.link(tmp, path)  # (fails if the file appeared meanwhile: never overwritten)
        except FileExistsError:
            raise UserError(msg("rules_exists", path=path)) from None
    finally:
        os.unlink(tmp)
    return [msg("rules_written", path=path), msg("rules_written_hint")]
