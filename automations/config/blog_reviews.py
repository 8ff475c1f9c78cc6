"""The `blog_reviews` section: proposals, their review documents, and when a stale stage earns a nudge."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .checks import Address, Strict


class BlogReviewsConfig(Strict):
    """The blog-review job: proposals, their review documents, and when a stale stage earns a nudge."""

    # Where proposals are filled: blog_proposals.csv in local.dir, or the Airtable table
    # airtable.tables.blog_reviews with backend airtable.
    file: str = "blog_proposals.csv"
    # local: HTML files in drafts_dir from template_file; google: copies of template_document_id in folder_id.
    documents: Literal["local", "google"] = "local"
    drafts_dir: Path = Path("drafts")
    template_file: Path = Path("templates/documents/blog_review.html")
    template_document_id: str = ""
    folder_id: str = ""  # a Shared Drive folder (a service account has no Drive storage of its own)
    # Reviewers for a proposal that names none.
    reviewers: list[Address] = Field(default_factory=lambda: ["ambassador-staff@example.org"])
    # Days a proposal may sit in a stage before whoever holds it gets one nudge for that stage.
    stale_days: dict[str, int] = Field(default_factory=lambda: {"proposed": 14, "draft": 21, "first_review": 7,
                                                                "final_review": 7, "scheduled": 30})

    @field_validator("stale_days")
    @classmethod
    def _stages(cls, value: dict[str, int]) -> dict[str, int]:
        stages = ("proposed", "draft", "first_review", "final_review", "scheduled")
        for stage, days in value.items():
            if stage not in stages:
                raise ValueError(f"'{stage}' is not a stage a proposal can stall in (one of {', '.join(stages)})")
            if days < 0:
                raise ValueError(f"'{stage}' has {days} days: it must be 0 or more")
        return value

    @model_validator(mode="after")
    def _google_ready(self) -> BlogReviewsConfig:
        if self.documents == "google" and not (self.template_document_id and self.folder_id):
            raise ValueError("documents 'google' needs template_document_id and folder_id")
        return self
