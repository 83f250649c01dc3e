"""The ``generate`` command: a thin shell over the library (``generator.api``, ``generator.commands``).

Everything it prints is Chinese, click's own messages included (missing
option, bad value, unknown option, the help): click asks ``gettext`` for its
texts, and ``_install_click_chinese`` answers from ``messages.CLICK``. Output
to a console that cannot show a character (a GBK console, a pipe in the C
locale) replaces it instead of failing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .errors import UserError
from .messages import CLICK, msg

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_USER_ERROR = 1
EXIT_INTERNAL = 3


def _translate(text: str) -> str:
    return CLICK.get(text, text)


def _translate_plural(singular: str, plural: str, n: int) -> str:
    return CLICK.get(singular if n == 1 else plural, singular if n == 1 else plural)


def _install_click_chinese() -> None:
    """click's messages in Chinese: its modules call ``gettext``/``ngettext`` by these names."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.types

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.types):
        if hasattr(module, "_"):
            module._ = _translate
        if hasattr(module, "ngettext"):
            module.ngettext = _translate_plural


_install_click_chinese()


class _Formatter(click.HelpFormatter):
    """The help with Chinese punctuation: “选项：”."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")


class _Context(click.Context):
    formatter_class = _Formatter


class _Whole(click.IntRange):
    name = "整数"  # click names the type in "“abc”不是有效的{number_type}"


class _Number(click.FloatRange):
    name = "数字"


def _safe_streams() -> None:
    """Characters a console cannot show (a GBK console, a C-locale pipe) are replaced, never an error."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass


def _echo_problems(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)


class _ProgressBars:
    """The batch's progress bars on stderr, one per stage (render, pdf); called as progress(stage, done, total)."""

    LABELS = {"render": "progress_render", "pdf": "progress_pdf"}

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=total, label=msg(self.LABELS[stage]), file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> _ProgressBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _show_audit(result, verbose: bool, where: Path | None = None) -> None:
    """The audit's short summary and one line per finding (errors first); ids and all cells with --verbose."""
    if result.findings:
        for line in result.lines(verbose):
            click.echo(line)
    click.echo(result.summary())
    if where is not None:
        click.echo(msg("audit_written", path=where))
        from .layout import audit_xlsx_of

        annotated = audit_xlsx_of(where)
        if result.findings and annotated.is_file():
            click.echo(msg("audit_written_xlsx", path=annotated))


def _show_checks(results, verbose: bool) -> int:
    """``--check`` for one unit or every unit of a county folder; exit 1 if any unit has an error."""
    code = 0
    for unit, result in results:
        if len(results) > 1 or isinstance(result, UserError):
            click.echo(msg("check_unit_header", unit=unit or "—"))
        if isinstance(result, UserError):
            _echo_problems(result.render().splitlines())
            code = EXIT_USER_ERROR
            continue
        if result.notices:
            click.echo(msg("notices_header"), err=True)
            _echo_problems([str(n) for n in result.notices])
        _show_audit(result, verbose)
        if result.errors:
            code = EXIT_USER_ERROR
    if code:
        click.echo(msg("audit_check_failed"), err=True)
    return code


def _show_reports(reports, verbose: bool) -> None:
    if getattr(reports, "batch", False):  # several units: one line per unit, then the totals
        from .commands.batch import result_lines

        for text, is_error in result_lines(reports):
            click.echo(text, err=is_error)
        return
    for report in reports:
        if report.notices:
            click.echo(msg("notices_header"), err=True)
            _echo_problems([str(n) for n in report.notices])
        _echo_problems(report.template_notes)
        click.echo(msg("template_chosen", path=report.template))
        for path in report.outputs:
            click.echo(msg("written", path=path))
        for line in report.messages:
            click.echo(line)
        from .audit import AuditResult

        _show_audit(AuditResult(file=report.workbook.name, findings=report.findings), verbose, report.audit_path)
        if report.pdf_error:
            _echo_problems(msg("pdf_not_written", reason=report.pdf_error).splitlines())


@click.command(context_settings=CONTEXT_SETTINGS, help=msg("help_command"), options_metavar="[选项]")
@click.option("--year", "year", type=_Whole(1990, 2200), required=False, metavar="年度", help=msg("help_year"))
@click.option("--unit", "unit", default=None, metavar="单位", help=msg("help_unit"))
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=Path("data"), show_default=True,
              metavar="文件夹", help=msg("help_data"))
@click.option("--templates", "templates_dir", type=click.Path(path_type=Path), default=Path("templates"),
              show_default=True, metavar="文件夹", help=msg("help_templates"))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              metavar="文件夹", help=msg("help_out"))
@click.option("--force", is_flag=True, default=False, help=msg("help_force"))
@click.option("--check", is_flag=True, default=False, help=msg("help_check"))
@click.option("--strict", is_flag=True, default=False, help=msg("help_strict"))
@click.option("--pdf", is_flag=True, default=False, help=msg("help_pdf"))
@click.option("--pdf-tables", "pdf_tables", is_flag=True, default=False, help=msg("help_pdf_tables"))
@click.option("--jobs", type=_Whole(1, 64), default=None, metavar="N", help=msg("help_jobs"))
@click.option("--init", "init", is_flag=True, default=False, help=msg("help_init"))
@click.option("--new-unit", "new_unit", default=None, metavar="单位", help=msg("help_new_unit"))
@click.option("--template-check", "template_check", is_flag=False, flag_value="", default=None, metavar="[模板]",
              help=msg("help_template_check"))
@click.option("--fields", is_flag=True, default=False, help=msg("help_fields"))
@click.option("--verbose", "-v", is_flag=True, default=False, help=msg("help_verbose"))
@click.option("--limit-seconds", "limit_seconds", type=_Number(1, 3600), default=None, metavar="秒",
              help=msg("help_limit_seconds"))
@click.option("--limit-mb", "limit_mb", type=_Whole(64, 65536), default=None, metavar="MB",
              help=msg("help_limit_mb"))
@click.option("--wait", "wait", type=_Number(0, 3600), default=120.0, show_default=True, metavar="秒",
              help=msg("help_wait"))
@click.option("--serve", is_flag=True, default=False, help=msg("help_serve"))
@click.option("--host", default="127.0.0.1", show_default=True, metavar="地址", help=msg("help_host"))
@click.option("--port", type=_Whole(1, 65535), default=8000, show_default=True, metavar="端口",
              help=msg("help_port"))
@click.option("--proxy", default=None, metavar="地址", help=msg("help_proxy"))
@click.option("--create-admin", "create_admin", default=None, metavar="用户名", help=msg("help_create_admin"))
def main(year: int | None, unit: str | None, data_dir: Path, templates_dir: Path, out_dir: Path, force: bool,
         check: bool, strict: bool, pdf: bool, pdf_tables: bool, jobs: int | None, init: bool, new_unit: str | None,
         template_check: str | None, fields: bool, verbose: bool, limit_seconds: float | None, limit_mb: int | None,
         wait: float, serve: bool, host: str, port: int, proxy: str | None, create_admin: str | None) -> None:
    from .limits import Limits

    limits = Limits(seconds=limit_seconds or Limits.seconds, memory_mb=limit_mb or Limits.memory_mb)
    try:
        if serve or create_admin:
            from .web.serve import run

            sys.exit(run(data_dir, templates_dir, out_dir, host=host, port=port, create_admin=create_admin,
                         serve=serve, proxy=proxy))
        if year is None:
            raise click.UsageError(msg("year_required"))
        if template_check is not None:  # lint a template (against the unit's workbook, or a sample); generate nothing
            from .commands.template_check import run

            result = run(year, templates_dir, data_dir, unit=unit, path=template_check or None, limits=limits)
            for line in result.lines(with_variables=fields):
                click.echo(line)
            sys.exit(0 if result.ok else EXIT_USER_ERROR)
        if new_unit is not None:
            from .commands.newyear import new_unit as make_new_unit

            for line in make_new_unit(year, new_unit, data_dir, templates_dir):
                click.echo(line)
            sys.exit(0)
        if init:  # create next year's workbook(s); generate nothing
            from .commands.newyear import init_year, result_lines

            results = init_year(year, data_dir, unit=unit)
            for text, is_error in result_lines(results, year):
                click.echo(text, err=is_error)
            sys.exit(0 if all(r.ok for r in results) else EXIT_USER_ERROR)
        if check:  # audit only: write nothing
            from .api import check_all

            sys.exit(_show_checks(check_all(year, unit=unit, data_dir=data_dir, templates_dir=templates_dir), verbose))
        from .api import generate
        from .api import Options

        with _ProgressBars() as progress:
            options = Options(force=force, strict=strict, pdf=pdf or pdf_tables, pdf_tables=pdf_tables, jobs=jobs,
                              limits=limits, wait=wait, progress=progress,
                              on_wait=lambda text: click.echo(text, err=True))
            reports = generate(year, unit=unit, data_dir=data_dir, templates_dir=templates_dir, out_dir=out_dir,
                               options=options)
    except UserError as exc:
        _echo_problems(exc.render().splitlines())
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # output piped into `head`: handled by ``entry``
        raise
    except (SystemExit, click.exceptions.ClickException):
        raise
    except Exception as exc:  # a bug: say so plainly, no traceback for the clerk
        if os.environ.get("GENERATOR_DEBUG"):
            raise
        click.echo(msg("internal_error", detail=f"{type(exc).__name__}: {exc}"), err=True)
        sys.exit(EXIT_INTERNAL)
    _show_reports(reports, verbose)
    _echo_problems(reports.messages if not reports.batch else [])
    if not reports.ok:
        sys.exit(EXIT_USER_ERROR)


main.context_class = _Context


def entry() -> None:
    """Console-script entry point: ``main`` with safe output, and a quiet exit when the output pipe closes early."""
    _safe_streams()
    try:
        main()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout at exit
        sys.exit(EXIT_USER_ERROR)


if __name__ == "__main__":
    entry()
