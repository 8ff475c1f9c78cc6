"""The README documents every command and every configuration key (fails when one is added silently)."""

from pathlib import Path

import pytest

from automations.cli import cli
from automations.config import Config

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_documented(command):
    """Each command has a row in the README's command table."""
    assert f"| `{command}` |" in README


def _keys(model, prefix=""):
    for name, field in model.model_fields.items():
        if name == "base_dir":
            continue
        sub = field.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            yield from _keys(sub, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


@pytest.mark.parametrize("key", sorted(_keys(Config)))
def test_every_config_key_documented(key):
    """Each configuration key is named in the README."""
    assert f"`{key}`" in README or f"`{key}.<field>`" in README


def test_readme_first_screen_has_two_setup_commands():
    """The first screen holds exactly the two set-up commands: run-all and the tests."""
    first = README.split("## ", 1)[0]
    blocks = [b.split("\n", 1)[1] for b in first.split("```sh")[1:]]
    assert len(blocks) == 2
    assert "run-all" in blocks[0] and "pip install" in blocks[0]
    assert "pytest" in blocks[1] and "pip install" in blocks[1]


def _airtable_sections() -> dict[str, str]:
    """docs/airtable.md's "## Tables" part: each `###` section's heading and its text."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "airtable.md").read_text(encoding="utf-8")
    tables = text.split("\n## Tables\n", 1)[1].split("\n## ", 1)[0]
    return {part.split("\n", 1)[0].strip(): part.split("\n", 1)[1] for part in tables.split("\n### ")[1:]}


def test_the_airtable_guide_documents_every_table_and_field_and_no_other():
    """docs/airtable.md has a section for each table `init` makes, named as the shipped config names it, holding
    each of its fields' titles; every other section of its table list is one of its two notes, never a table
    that does not exist (a "Later tables" list of tables named before they were built)."""
    from automations.bootstrap import airtable_spec
    from automations.config import load_config

    spec = airtable_spec(load_config(Path(__file__).resolve().parent.parent / "config.yaml"))
    sections = _airtable_sections()
    named = {heading.split(" (", 1)[0]: heading for heading in sections}  # "Funding requests (staff's own)"
    notes = {"Whose table, whose record", "Staff's words"}
    assert set(named) - notes == {t.name for t in spec.tables.values()}
    for t in spec.tables.values():
        text = " ".join(sections[named[t.name]].split()).casefold()  # a title may wrap at a line's end
        assert [f.name for f in t.fields if f.name.casefold() not in text] == [], t.name
