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
            self.bar = click.progressbar(length=total, label=msg(self.LABELS[stage]),
                                         file=sys.stderr)
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


def _show_check(result) -> int:
    """Print an audit (``--check``): one line when clean, else the findings by sheet; the exit code."""
    if result.notices:
        click.echo(msg("notices_header"), err=True)
        _echo_problems([str(n) for n in result.notices])
    if not result.findings:
        click.echo(result.summary())
        return 0
    for line in result.lines():
        click.echo(line)
    click.echo(result.summary())
    if result.errors:
        click.echo(msg("audit_check_failed"), err=True)
        return EXIT_USER_ERROR
    return 0


def _show_checks(results) -> int:
    """``--check`` for one unit or every unit of a county folder; exit 1 if any unit has an error."""
    if len(results) == 1 and not isinstance(results[0][1], UserError):
        return _show_check(results[0][1])
    code = 0
    for unit, result in results:
        click.echo(msg("check_unit_header", unit=unit))
        if isinstance(result, UserError):
            _echo_problems(result.render().splitlines())
            code = EXIT_USER_ERROR
        else:
            code = max(code, _show_check(result))
    return code


def _show_findings(report) -> None:
    """After generation: the audit findings by sheet, a summary line and where the 审核 list is."""
    from .audit import AuditResult

    result = AuditResult(file=report.workbook.name, findings=list(getattr(report, "findings", [])))
    for line in result.lines():
        click.echo(line)
    click.echo(result.summary())
    if getattr(report, "audit_path", None):
        click.echo(msg("audit_written", path=report.audit_path))


def _run_template_check(unit: str | None, templates_dir: Path, path: str) -> int:
    """``--template-check [PATH]``: the report on stdout; exit 0 when the template is clean, 1 otherwise."""
    from .template_check import run

    result = run(templates_dir, unit=unit, path=path or None)
    for line in result.lines():
        click.echo(line)
    return 0 if result.ok else EXIT_USER_ERROR


def _run_init(year: int, unit: str | None, data_dir: Path) -> int:
    """``--init``: create YEAR.xlsx beside YEAR-1.xlsx (every unit in a batch); exit 1 unless all were created."""
    from .init_year import init_year, result_lines

    results = init_year(year, data_dir, unit=unit)
    for text, is_error in result_lines(results, year):
        click.echo(text, err=is_error)
    return 0 if all(r.ok for r in results) else EXIT_USER_ERROR


@click.command(context_settings=CONTEXT_SETTINGS,
               help=msg("help_command"))
@click.option("--year", "year", type=int, required=True, metavar="年度",
              help=msg("help_year"))
@click.option("--unit", "unit", default=None, metavar="单位",
              help=msg("help_unit"))
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=Path("data"), show_default=True,
              metavar="文件夹", help=msg("help_data"))
@click.option("--templates", "templates_dir", type=click.Path(path_type=Path), default=Path("templates"),
              show_default=True, metavar="文件夹", help=msg("help_templates"))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              metavar="文件夹", help=msg("help_out"))
@click.option("--force", is_flag=True, default=False,
              help=msg("help_force"))
# --- options below are implemented by their own modules (audit, batch, init_year, template_check, pdf)
@click.option("--check", is_flag=True, default=False,
              help=msg("help_check"))
@click.option("--strict", is_flag=True, default=False, help=msg("help_strict"))
@click.option("--pdf", is_flag=True, default=False, help=msg("help_pdf"))
@click.option("--jobs", type=click.IntRange(1, 64), default=None, metavar="N",
              help=msg("help_jobs"))
@click.option("--init", "init", is_flag=True, default=False,
              help=msg("help_init"))
@click.option("--template-check", "template_check", is_flag=False, flag_value="", default=None, metavar="[模板]",
              help=msg("help_template_check"))
def main(year: int, unit: str | None, data_dir: Path, templates_dir: Path, out_dir: Path, force: bool,
         check: bool, strict: bool, pdf: bool, jobs: int | None, init: bool, template_check: str | None) -> None:
    from . import pipeline

    try:
        if template_check is not None:  # lint a template against the example data; generate nothing
            sys.exit(_run_template_check(unit, templates_dir, template_check))
        if init:  # create next year's workbook(s); generate nothing
            sys.exit(_run_init(year, unit, data_dir))
        if check:  # audit only: write nothing
            results = pipeline.check_all(year, unit=unit, data_dir=data_dir)
        else:
            with _ProgressBars() as progress:
                reports = pipeline.generate(year, unit=unit, data_dir=data_dir, templates_dir=templates_dir,
                                            out_dir=out_dir, force=force, jobs=jobs, pdf=pdf, progress=progress,
                                            strict=strict)
    except UserError as exc:
        _echo_problems(exc.render().splitlines())
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # output piped into `head`: handled by ``entry``
        raise
    except Exception as exc:  # a bug: say so plainly, no traceback for the clerk
        if os.environ.get("GENERATOR_DEBUG"):
            raise
        click.echo(msg("internal_error", detail=f"{type(exc).__name__}: {exc}"), err=True)
        sys.exit(EXIT_INTERNAL)
    if check:
        sys.exit(_show_checks(results))
    if getattr(reports, "batch", False):  # several units: one line per unit, then the totals
        from .batch import result_lines

        for text, is_error in result_lines(reports):
            click.echo(text, err=is_error)
    else:
        for report in reports:
            if report.notices:
                click.echo(msg("notices_header"), err=True)
                _echo_problems([str(n) for n in report.notices])
            _echo_problems(report.messages)
            click.echo(msg("template_chosen", path=report.template))
            for path in report.outputs:
                click.echo(msg("written", path=path))
            _show_findings(report)
            if report.pdf_error:
                _echo_problems(msg("pdf_not_written", reason=report.pdf_error).splitlines())
        _echo_problems(getattr(reports, "messages", []))
    if not getattr(reports, "ok", True):
        sys.exit(EXIT_USER_ERROR)


def entry() -> None:
    """Console-script entry point: ``main`` plus a quiet exit when the output pipe closes early."""
    try:
        main()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout at exit
        sys.exit(EXIT_USER_ERROR)


if __name__ == "__main__":
    entry()
