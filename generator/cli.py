"""The ``generate`` command: a thin shell over ``generator.pipeline``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .errors import UserError
from .messages import msg

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_USER_ERROR = 1
EXIT_INTERNAL = 3


def _echo_problems(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)


@click.command(context_settings=CONTEXT_SETTINGS,
               help="根据 Excel 工作簿生成《部门整体支出绩效自评报告》（含三张附表）。\n\n"
                    "示例：generate --year 2024")
@click.option("--year", "year", type=int, required=True, metavar="年度",
              help="报告年度，如 2024。读取 数据文件夹/年度.xlsx。")
@click.option("--unit", "unit", default=None, metavar="单位",
              help="数据文件夹中有多个单位（每个单位一个子文件夹）时，只生成这一个单位。")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=Path("data"), show_default=True,
              metavar="文件夹", help="存放工作簿的数据文件夹。")
@click.option("--templates", "templates_dir", type=click.Path(path_type=Path), default=Path("templates"),
              show_default=True, metavar="文件夹", help="模板文件夹：default/report.docx 为默认模板，<单位>/report.docx 为该单位专用模板。")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              metavar="文件夹", help="输出文件夹；报告写入 输出文件夹/年度/。")
@click.option("--force", is_flag=True, default=False,
              help="报告已被手工修改时仍重新生成（先把原文件备份为带日期的副本）。")
# --- options below are implemented by their own modules (audit, batch, init_year, template_check, pdf)
@click.option("--check", is_flag=True, default=False,
              help="只审核数据，不生成报告：列出所有前后矛盾之处及单元格；有错误时退出码为 1。")
@click.option("--strict", is_flag=True, default=False, help="审核发现错误时不生成报告。")
@click.option("--pdf", is_flag=True, default=False, help="同时用 LibreOffice 生成 PDF（用于门户网站公开）。")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, metavar="N",
              help="批量生成多个单位时并行的进程数，默认为 CPU 核数。")
@click.option("--init", "init", is_flag=True, default=False,
              help="为 --year 年度新建工作簿：沿用上一年度的单位信息、指标和目标，上年数据移入“上年”栏，本年数据留空待填。")
@click.option("--template-check", "template_check", is_flag=False, flag_value="", default=None, metavar="[模板]",
              help="用示例数据试渲染模板，报告未知变量、错误标签和不安全写法，并列出可用变量。不指定模板时检查该单位所用模板。")
def main(year: int, unit: str | None, data_dir: Path, templates_dir: Path, out_dir: Path, force: bool,
         check: bool, strict: bool, pdf: bool, jobs: int | None, init: bool, template_check: str | None) -> None:
    from . import pipeline

    try:
        reports = pipeline.generate(year, unit=unit, data_dir=data_dir, templates_dir=templates_dir,
                                    out_dir=out_dir, force=force)
    except UserError as exc:
        _echo_problems(exc.render().splitlines())
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, no traceback for the clerk
        if os.environ.get("GENERATOR_DEBUG"):
            raise
        click.echo(msg("internal_error", detail=f"{type(exc).__name__}: {exc}"), err=True)
        sys.exit(EXIT_INTERNAL)
    for report in reports:
        if report.notices:
            click.echo(msg("notices_header"), err=True)
            _echo_problems([str(n) for n in report.notices])
        _echo_problems(report.messages)
        for path in report.outputs:
            click.echo(msg("written", path=path))


if __name__ == "__main__":
    main()
