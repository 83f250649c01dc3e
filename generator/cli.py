"""The ``generate`` command: a thin shell over the library (``generator.api``, ``generator.commands``).

A group of verbs (``check``, ``init``, ``new-unit``, ``template-check``, ``compare``, ``serve``,
``create-admin``, ``reset-password``, ``rules``) over a default command, ``report``, that a command line
without a verb runs (``generate --year 2024``). Each command takes only the options ``USES`` lists for it;
the mode flags of earlier releases (``--check`` …) stay on the default command for one release, checked
against the same table, and say the new form.

Everything it prints is Chinese, click's own messages included (missing
option, bad value, unknown option, the help): click asks ``gettext`` for its
texts, and ``_install_click_chinese`` answers from ``messages.CLICK``. Output
to a console that cannot show a character (a GBK console, a pipe in the C
locale) replaces it instead of failing.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import click

from .errors import UserError
from .layout import YEAR_MAX, YEAR_MIN
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
    """``generate check`` for one unit or every unit of a county folder; exit 1 if any unit has an error."""
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
        from .batch import result_lines

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


# ---------------------------------------------------------------------------- the options, each declared once

_FOLDER = {"type": click.Path(path_type=Path), "show_default": True, "metavar": "文件夹"}
OPTIONS: dict[str, Callable[[Callable], Callable]] = {
    "year": click.option("--year", "year", type=_Whole(YEAR_MIN, YEAR_MAX), default=None, metavar="年度",
                         help=msg("help_year")),
    "unit": click.option("--unit", "unit", default=None, metavar="单位", help=msg("help_unit")),
    "data_dir": click.option("--data", "data_dir", default=Path("data"), help=msg("help_data"), **_FOLDER),
    "templates_dir": click.option("--templates", "templates_dir", default=Path("templates"), help=msg("help_templates"),
                                  **_FOLDER),
    "out_dir": click.option("--out", "out_dir", default=Path("output"), help=msg("help_out"), **_FOLDER),
    "force": click.option("--force", is_flag=True, default=False, help=msg("help_force")),
    "strict": click.option("--strict", is_flag=True, default=False, help=msg("help_strict")),
    "pdf": click.option("--pdf", is_flag=True, default=False, help=msg("help_pdf")),
    "pdf_tables": click.option("--pdf-tables", "pdf_tables", is_flag=True, default=False, help=msg("help_pdf_tables")),
    "jobs": click.option("--jobs", type=_Whole(1, 64), default=None, metavar="N", help=msg("help_jobs")),
    "verbose": click.option("--verbose", "-v", is_flag=True, default=False, help=msg("help_verbose")),
    "limit_seconds": click.option("--limit-seconds", "limit_seconds", type=_Number(1, 3600), default=None, metavar="秒",
                                  help=msg("help_limit_seconds")),
    "limit_mb": click.option("--limit-mb", "limit_mb", type=_Whole(64, 65536), default=None, metavar="MB",
                             help=msg("help_limit_mb")),
    "wait": click.option("--wait", "wait", type=_Number(0, 3600), default=120.0, show_default=True, metavar="秒",
                         help=msg("help_wait")),
    "fields": click.option("--fields", is_flag=True, default=False, help=msg("help_fields_verb")),
    "workbook_only": click.option("--workbook-only", "workbook_only", is_flag=True, default=False,
                                  help=msg("help_workbook_only")),
    "compare_year": click.option("--year", "year", type=_Whole(YEAR_MIN, YEAR_MAX), default=None, metavar="年度",
                                 help=msg("help_compare_year")),
    "host": click.option("--host", default="127.0.0.1", show_default=True, metavar="地址", help=msg("help_host")),
    "port": click.option("--port", type=_Whole(1, 65535), default=8000, show_default=True, metavar="端口",
                         help=msg("help_port")),
    "proxy": click.option("--proxy", default=None, metavar="地址", help=msg("help_proxy")),
}

# Which options each command takes: the commands are declared from this table, and the old mode flags of the
# default command (``generate --check …``) are checked against it, so an option a command does not use is refused.
USES: dict[str, tuple[str, ...]] = {
    "report": ("year", "unit", "data_dir", "templates_dir", "out_dir", "force", "strict", "pdf", "pdf_tables", "jobs",
               "verbose", "limit_seconds", "limit_mb", "wait"),
    "check": ("year", "unit", "data_dir", "templates_dir", "verbose"),
    "init": ("year", "unit", "data_dir"),
    "new-unit": ("year", "data_dir", "templates_dir", "out_dir", "workbook_only"),
    "template-check": ("year", "unit", "data_dir", "templates_dir", "fields", "limit_seconds", "limit_mb"),
    "compare": ("compare_year",),
    "serve": ("data_dir", "templates_dir", "out_dir", "host", "port", "proxy"),
    "create-admin": ("data_dir",),
    "reset-password": ("data_dir",),
    "rules": ("data_dir",),
}
# options that do not go together within one command: (first, second, why)
PAIRS = (("unit", "jobs", "cli_pair_unit_jobs"),)

# The mode flags of the one-command ``generate`` of earlier releases: flag (parameter) → the command it now is.
# They stay on the default command for one release; each says its new form.
LEGACY = {"check": "check", "init": "init", "new_unit": "new-unit", "template_check": "template-check",
          "serve": "serve", "create_admin": "create-admin"}
# the folders were taken (and ignored where unused) by every mode of the old command: its scripts keep them
LEGACY_TOLERATED = ("data_dir", "templates_dir", "out_dir")


def _uses(command: str) -> Callable[[Callable], Callable]:
    """The options of ``command`` (``USES``), in the table's order."""
    def apply(f: Callable) -> Callable:
        for name in reversed(USES[command]):
            f = OPTIONS[name](f)
        return f

    return apply


def _verb(name: str, *arguments: Callable[[Callable], Callable]) -> Callable[[Callable], click.Command]:
    """Declare the command ``name``: its arguments, its options (``USES``), its Chinese help and example
    (``help_verb_<name>``) and its line in ``generate --help`` (``short_<name>``)."""
    key = name.replace("-", "_")

    def declare(f: Callable) -> click.Command:
        f = _uses(name)(f)
        for argument in reversed(arguments):
            f = argument(f)
        return main.command(name, help=msg(f"help_verb_{key}"), short_help=msg(f"short_{key}"),
                            options_metavar="[选项]")(f)

    return declare


class _Command(click.Command):
    context_class = _Context


class _Group(click.Group):
    """``generate`` with verbs. A command line that does not begin with a verb (``generate --year 2024``) is the
    default command's, ``report``; ``generate --help`` shows the verbs and the default command's options."""

    context_class = _Context
    command_class = _Command
    default = "report"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # as declared: the default command first, then the verbs by use

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            close = difflib.get_close_matches(args[0], list(self.commands), n=1)
            raise click.UsageError(msg("cli_no_command", name=args[0], commands="、".join(self.commands),
                                       hint=msg("cli_no_command_hint", name=close[0]) if close else ""), ctx)
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [self.default, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, msg("help_group_usage"))

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        self.format_commands(ctx, formatter)
        report = self.commands[self.default]
        sub = _Context(report, info_name=self.default, parent=ctx)
        rows = [row for param in report.get_params(sub) if (row := param.get_help_record(sub)) is not None]
        with formatter.section(msg("help_report_options")):
            formatter.write_dl(rows)


def _handled(run: Callable[[], int | None]) -> None:
    """Run a command's work: a clerk's mistake is a located message and exit 1, never a traceback."""
    try:
        code = run()
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
    sys.exit(code or 0)


def _need_year(year: int | None, example: str) -> int:
    if year is None:
        raise click.UsageError(msg("cli_year_required", example=example))
    return year


def _limits(limit_seconds: float | None, limit_mb: int | None):
    from .limits import Limits

    return Limits(seconds=limit_seconds or Limits.seconds, memory_mb=limit_mb or Limits.memory_mb)


@click.group("generate", cls=_Group, context_settings=CONTEXT_SETTINGS, help=msg("help_group"), options_metavar="[选项]")
def main() -> None:
    """The group: each verb does its own work."""


# ---------------------------------------------------------------------------- the default command: reports


def _option_name(ctx: click.Context, name: str) -> str:
    return next(p.opts[0] for p in ctx.command.params if p.name == name)


def _given(ctx: click.Context) -> list[str]:
    """The parameters typed on this command line (not defaults), in the command's order."""
    typed = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    return [p.name for p in ctx.command.params if p.name and ctx.get_parameter_source(p.name) in typed]


def _new_form(ctx: click.Context, verb: str, params: dict[str, object], argument: str | None) -> str:
    """The command line of ``verb`` that does what this old-style one asked."""
    words = ["generate", verb] + ([_quoted(argument)] if argument else [])
    for name in _given(ctx):
        if name in USES[verb] and name not in LEGACY:
            option = _option_name(ctx, name)
            value = params[name]
            words += [option] if isinstance(value, bool) else [option, _quoted(str(value))]
    return " ".join(words)


def _quoted(text: str) -> str:
    return text if re.fullmatch(r"[^\s'\"\\$`;&|<>()*?!#]+", text) else shlex.quote(text)


def _mode(ctx: click.Context) -> str:
    """The command an old-style command line asks for; options that do not go with it are refused (exit 2)."""
    given = _given(ctx)
    modes = [name for name in given if name in LEGACY]
    if len(modes) > 1:
        first, second = modes[:2]
        raise click.UsageError(msg("cli_modes_together", first=_option_name(ctx, first),
                                   second=_option_name(ctx, second), first_new=f"generate {LEGACY[first]}",
                                   second_new=f"generate {LEGACY[second]}"), ctx)
    verb = LEGACY[modes[0]] if modes else "report"
    allowed = set(USES[verb]) | set(modes) | (set(LEGACY_TOLERATED) if modes else set())
    refused = [name for name in given if name not in allowed]
    if refused and modes:
        raise click.UsageError(msg("cli_not_with_mode", option="、".join(_option_name(ctx, n) for n in refused),
                                   mode=_option_name(ctx, modes[0]), new=f"generate {verb}"), ctx)
    if refused:
        raise click.UsageError("\n".join(
            msg("cli_not_for_report", option=_option_name(ctx, name),
                commands="、".join(f"generate {v}" for v, names in USES.items() if name in names or LEGACY.get(name) == v))
            for name in refused), ctx)
    for first, second, why in PAIRS:
        if first in given and second in given:
            raise click.UsageError(msg("cli_pair", first=_option_name(ctx, first), second=_option_name(ctx, second),
                                       why=msg(why)), ctx)
    return verb


@_verb("report")
@click.option("--check", is_flag=True, default=False, hidden=True)
@click.option("--init", "init", is_flag=True, default=False, hidden=True)
@click.option("--new-unit", "new_unit", default=None, hidden=True)
@click.option("--template-check", "template_check", is_flag=False, flag_value="", default=None, hidden=True)
@click.option("--fields", is_flag=True, default=False, hidden=True)
@click.option("--serve", is_flag=True, default=False, hidden=True)
@click.option("--host", default="127.0.0.1", hidden=True)
@click.option("--port", type=_Whole(1, 65535), default=8000, hidden=True)
@click.option("--proxy", default=None, hidden=True)
@click.option("--create-admin", "create_admin", default=None, hidden=True)
@click.pass_context
def report(ctx: click.Context, **params: object) -> None:
    verb = _mode(ctx)
    if verb != "report":  # an old mode flag: say the new form, then do it
        argument = {"new-unit": params["new_unit"], "template-check": params["template_check"] or None,
                    "create-admin": params["create_admin"]}.get(verb)
        old = _option_name(ctx, next(n for n in _given(ctx) if LEGACY.get(n) == verb))
        click.echo(msg("cli_renamed", old=old, verb=verb, new=_new_form(ctx, verb, params, argument)), err=True)
        command = main.commands[verb]
        values = {name: params[name] for name in USES[verb] if name in params}
        values.update({p.name: argument for p in command.params if isinstance(p, click.Argument)})
        ctx.invoke(command, **values)
        return
    year = _need_year(params["year"], "generate --year 2024")

    def run() -> int:
        from .api import Options, generate

        pdf_tables = bool(params["pdf_tables"])
        with _ProgressBars() as progress:
            options = Options(force=params["force"], strict=params["strict"], pdf=bool(params["pdf"]) or pdf_tables,
                              pdf_tables=pdf_tables, jobs=params["jobs"],
                              limits=_limits(params["limit_seconds"], params["limit_mb"]), wait=params["wait"],
                              progress=progress, on_wait=lambda text: click.echo(text, err=True))
            reports = generate(year, unit=params["unit"], data_dir=params["data_dir"],
                               templates_dir=params["templates_dir"], out_dir=params["out_dir"], options=options)
        _show_reports(reports, bool(params["verbose"]))
        _echo_problems(reports.messages if not reports.batch else [])
        return 0 if reports.ok else EXIT_USER_ERROR

    _handled(run)


# ---------------------------------------------------------------------------- the verbs


@_verb("check")
def check(year: int | None, unit: str | None, data_dir: Path, templates_dir: Path, verbose: bool) -> None:
    year = _need_year(year, "generate check --year 2024")

    def run() -> int:
        from .api import check_all

        return _show_checks(check_all(year, unit=unit, data_dir=data_dir, templates_dir=templates_dir), verbose)

    _handled(run)


@_verb("init")
def init(year: int | None, unit: str | None, data_dir: Path) -> None:
    year = _need_year(year, "generate init --year 2025")

    def run() -> int:
        from .commands.newyear import init_year, result_lines

        results = init_year(year, data_dir, unit=unit)
        for text, is_error in result_lines(results, year):
            click.echo(text, err=is_error)
        return 0 if all(r.ok for r in results) else EXIT_USER_ERROR

    _handled(run)


@_verb("new-unit", click.argument("name", metavar="单位"))
def new_unit(name: str, year: int | None, data_dir: Path, templates_dir: Path, out_dir: Path,
             workbook_only: bool) -> None:
    year = _need_year(year, f"generate new-unit {_quoted(name)} --year 2024")

    def run() -> int:
        from .commands.newyear import new_unit as make_new_unit

        for line in make_new_unit(year, name, data_dir, templates_dir, out_dir=out_dir, workbook_only=workbook_only):
            click.echo(line)
        return 0

    _handled(run)


@_verb("template-check", click.argument("template", required=False, default=None, metavar="[模板]"))
def template_check(template: str | None, year: int | None, unit: str | None, data_dir: Path, templates_dir: Path,
                   fields: bool, limit_seconds: float | None, limit_mb: int | None) -> None:
    year = _need_year(year, "generate template-check --year 2024")

    def run() -> int:
        from .commands.template_check import run as check_template

        result = check_template(year, templates_dir, data_dir, unit=unit, path=template or None,
                                limits=_limits(limit_seconds, limit_mb))
        for line in result.lines(with_variables=fields):
            click.echo(line)
        return 0 if result.ok else EXIT_USER_ERROR

    _handled(run)


@_verb("compare", click.argument("old", metavar="旧工作簿"), click.argument("new", metavar="新工作簿"))
def compare(old: str, new: str, year: int | None) -> None:
    def run() -> int:
        from .compare import compare_workbooks

        for line in compare_workbooks(Path(old), Path(new), year=year).lines():
            click.echo(line)
        return 0

    _handled(run)


@_verb("serve")
def serve(data_dir: Path, templates_dir: Path, out_dir: Path, host: str, port: int, proxy: str | None) -> None:
    def run() -> int:
        from .web.serve import run as run_server

        return run_server(data_dir, templates_dir, out_dir, host=host, port=port, proxy=proxy)

    _handled(run)


@_verb("create-admin", click.argument("name", metavar="用户名"))
def create_admin(name: str, data_dir: Path) -> None:
    def run() -> int:
        from .web.serve import create_admin as make

        return make(data_dir, name)

    _handled(run)


@_verb("reset-password", click.argument("name", metavar="用户名"))
def reset_password(name: str, data_dir: Path) -> None:
    def run() -> int:
        from .web.serve import reset_password as reset

        return reset(data_dir, name)

    _handled(run)


@_verb("rules")
def rules(data_dir: Path) -> None:
    def run() -> int:
        from .commands.rules import init_rules

        for line in init_rules(data_dir):
            click.echo(line)
        return 0

    _handled(run)


def entry() -> None:
    """Console-script entry point: ``main`` with safe output, and a quiet exit when the output pipe closes early."""
    _safe_streams()
    try:
        main(prog_name="generate")
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout at exit
        sys.exit(EXIT_USER_ERROR)


if __name__ == "__main__":
    entry()
