"""Error and notice types shared by the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass

from .messages import msg

SEP = " › "
ERROR = "错误"  # audit severities: a contradiction to fix
HINT = "提示"  # worth a look


@dataclass(frozen=True)
class Location:
    """Where a figure lives: file, sheet and cell (each optional)."""

    file: str
    sheet: str | None = None
    cell: str | None = None

    def __str__(self) -> str:
        return SEP.join(p for p in (self.file, self.sheet, self.cell) if p)


@dataclass(frozen=True)
class Problem:
    """A user mistake (or a notice) tied to a place."""

    location: Location | None
    message: str

    def __str__(self) -> str:
        return f"{self.location}：{self.message}" if self.location else self.message


class UserError(Exception):
    """A mistake the user can fix. Carries one or more problems; never shown as a traceback."""

    def __init__(self, problems: list[Problem] | str, header: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(None, problems)]
        self.problems = problems
        self.header = header
        super().__init__(self.render())

    def render(self) -> str:
        lines = [self.header] if self.header else []
        lines += [str(p) for p in self.problems]
        return "\n".join(lines)


class ValidationError(UserError):
    """All problems found in one workbook, reported at once."""

    def __init__(self, file: str, problems: list[Problem]):
        super().__init__(problems, msg("problems_header", name=file, count=len(problems)))
