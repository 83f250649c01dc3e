"""``generate serve``: the tool as a web page over the same library as the command line.

Each township uploads its workbook, sees the audit, generates and downloads its
report; the county bureau sees every unit and generates all at once. Accounts
live in an SQLite database beside the data (``DATA/.web/``); the page and the
CLI share the same ``data/``, ``templates/`` and ``output/`` folders. The views
hold no report logic: they call ``generator.pipeline``, ``generator.commands``
and ``generator.write`` (see ``state.py``).
"""
