"""Who may see which unit: the one check every unit URL makes first, and the units the bureau sees."""

from __future__ import annotations

from flask import abort, g

from ..messages import msg
from . import db
from .db import connection
from ..layout import valid_unit, valid_year
from .state import site


def unit_list() -> list[str]:
    """Every unit the bureau sees: the folders of data/ and the units with an account."""
    return site().units(list(db.unit_accounts(connection())))


def allowed(unit: str, year: int | None = None) -> None:
    """Refuse (403 or 404) unless the logged-in account may see ``unit``."""
    account = g.account
    if not account.bureau and unit != account.unit:
        abort(403, description=msg("web_other_unit"))
    if not valid_unit(unit):
        abort(404)
    if account.bureau and unit not in unit_list():
        abort(404)
    if year is not None and not valid_year(year):
        abort(404)
