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
def main(year: int, unit: str | None, data_dir: Path, templates_dir: Path, out_dir: Path, force: bool) -> None:
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
