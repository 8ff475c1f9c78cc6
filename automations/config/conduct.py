"""The `conduct` section: where the conduct register is kept, who may read it, and for how long."""

from __future__ import annotations

from pydantic import Field

from .checks import Address, Strict


class ConductConfig(Strict):
    """The conduct register: where it is kept, who may read it, and for how long."""

    # This file in local.dir, or the table airtable.tables.conduct_register.
    file: str = "conduct_register.csv"
    # The addresses allowed to read it with `conduct list` / `conduct show` (--reader); empty: nobody.
    readers: list[Address] = Field(default_factory=list)
    # An incident is deleted this many days after its date.
    retention_days: int = Field(730, ge=1)
