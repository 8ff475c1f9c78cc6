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
