"""Progress bars: drawn on a terminal (stderr, so stdout stays clean), never under cron or in a pipe, and
never changing what a job sees."""

from __future__ import annotations

import io
import subprocess
import sys

from rich.console import Console

from automations.adapters.terminal.rich_progress import NoProgress, RichProgress, progress_for


def test_the_bar_passes_every_item_through_and_draws():
    """Every item comes through in order, with a known total or without, and the bar is drawn."""
    p = RichProgress()
    p.console = Console(file=io.StringIO(), force_terminal=True, width=80)
    assert list(p.track(range(1000), 1000, "Reading")) == list(range(1000))
    assert list(p.track(iter(range(350)), None, "Reading")) == list(range(350))
    assert list(p.track([], None, "Reading")) == []
    assert "Reading" in p.console.file.getvalue()


def test_no_bar_without_a_terminal(program):
    """Under cron (stdout not a terminal) no bar is chosen, and a run's stdout holds no terminal escape."""
    assert isinstance(progress_for(False), NoProgress) and isinstance(progress_for(True), RichProgress)
    proc = subprocess.run([sys.executable, "-m", "automations", "--config", str(program), "--as-of", "2026-10-19",
                           "sync-checkins"], capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1) and "\x1b[" not in proc.stdout + proc.stderr
