"""Turning check-in response rows into activities, and the roster's rows into ambassadors.

Pure functions over header lists and rows of strings, so the same code serves the CSV
download, the live Google Sheet and the tests. Headers are mapped by position: forms with
repeated sections have the same question title several times.

The package: `responses` (check-in response rows into activities and check-ins, `ingest`) and `roster`
(the roster's rows into ambassadors, `parse_roster`).
"""

from ..form_layout import FormLayout, map_columns
from ..rows.roster import CellFlaw, RosterLayout, parse_roster, parse_status_history
from .responses import Ingested, activity_id, day_order, ingest, late_problems, on_an_unusable_row

__all__ = [
    "CellFlaw", "FormLayout", "Ingested", "RosterLayout", "activity_id", "day_order", "ingest",
    "late_problems", "map_columns", "on_an_unusable_row", "parse_roster", "parse_status_history",
]
