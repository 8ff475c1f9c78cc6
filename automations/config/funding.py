"""The `funding` section: lead time, large events, budgets and invoice reminders."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .checks import Strict


class FundingConfig(Strict):
    """The `funding` job: lead time, large events, budgets and invoice reminders."""

    # The requests staff keep: this file in local.dir, or the table airtable.tables.funding_requests.
    file: str = "funding_requests.csv"
    # A request less than this many days before its event is flagged to the ambassador and staff.
    lead_days: int = Field(60, ge=0)
    # What asked for that names one of these (case and spaces ignored) is a large event, flagged at once.
    large_event_keywords: list[str] = Field(default_factory=lambda: ["MautiCamp", "Mautic Conference"])
    # Budgets per period (the event's quarter or year) and currency: {EUR: 5000, USD: 2000}.
    budget_period: Literal["quarter", "year"] = "year"
    budgets: dict[str, float] = Field(default_factory=dict)
    # Staff are warned once when approved amounts reach this share of a period's budget (and once when over it).
    budget_warning_share: float = Field(0.8, gt=0, le=1)
    # Days after an approved request's event on which the ambassador is reminded until invoice and evidence arrive.
    reminder_days_after_event: list[int] = Field(default_factory=lambda: [3, 10, 24])

    @field_validator("budgets")
    @classmethod
    def _currencies(cls, value: dict[str, float]) -> dict[str, float]:
        for currency, amount in value.items():
            if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
                raise ValueError(f"'{currency}' is not a three-letter currency code in capitals (EUR, USD, ...)")
            if amount <= 0:
                raise ValueError(f"the {currency} budget is {amount}: it must be more than 0")
        return value

    @field_validator("reminder_days_after_event")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if any(d < 0 for d in value) or sorted(set(value)) != value:
            raise ValueError("must be days after the event, 0 or more, in increasing order without repeats")
        return value
