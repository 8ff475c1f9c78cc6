"""The one place that turns configuration into concrete adapters and rule objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .adapters.local_csv import LocalCsvFiles
from .config import Config
from .domain.checkins import FormLayout, RosterLayout
from .domain.compliance import Rules
from .errors import ConfigError


@dataclass
class Context:
    """Everything a job needs for one run: settings, the run's date, and the adapters."""

    config: Config
    as_of: date
    dry_run: bool
    files: LocalCsvFiles
    rules: Rules
    form: FormLayout
    roster: RosterLayout
    notes: list[str] = field(default_factory=list)


def rules_from(config: Config) -> Rules:
    p = config.program
    fields = {kind: tuple(tuple(spec.split("|")) for spec in specs) for kind, specs in p.full_report_fields.items()}
    return Rules(tz=p.tz, min_full_reports=p.min_full_reports, window_days=p.checkin_window_days,
                 late_joiner_fraction=p.late_joiner_fraction, full_report_fields=fields)


def form_layout(config: Config, source: str) -> FormLayout:
    f = config.checkin_form
    return FormLayout(
        source=source, timestamp=f.columns.timestamp, email=f.columns.email, quarter=f.columns.quarter,
        sections=f.activity_sections, activity_columns=dict(f.activity_columns), kinds=dict(f.activity_kinds),
        timestamp_formats=tuple(f.timestamp_formats), date_formats=tuple(f.date_formats),
        sheet_tz=config.sheet_tz, program_tz=config.program.tz,
    )


def build(config: Config, as_of: date, dry_run: bool) -> Context:
    if config.backend != "local":
        raise ConfigError(f"backend '{config.backend}' is not available in this version yet: "
                          f"set 'backend: local' in config.yaml.")
    files = LocalCsvFiles(config.local_dir, config.ambassadors.file, config.checkin_form.file)
    return Context(
        config=config, as_of=as_of, dry_run=dry_run, files=files, rules=rules_from(config),
        form=form_layout(config, files.responses_path.name),
        roster=RosterLayout(files.roster_path.name, dict(config.ambassadors.fields)),
    )
