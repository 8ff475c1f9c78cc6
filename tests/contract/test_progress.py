"""The Progress contract (`ports.Progress`): long work's items pass through unchanged, in order, however they are
shown. Adapters: `NoProgress` (cron, pipes) and `RichProgress` (a bar on the terminal's stderr)."""

from __future__ import annotations

import pytest

from automations.adapters.terminal.rich_progress import NoProgress, RichProgress


class ProgressContract:
    @pytest.fixture
    def progress(self):
        raise NotImplementedError

    @pytest.mark.parametrize("count", [0, 3, 450])
    def test_items_pass_unchanged_and_in_order(self, progress, count):
        """Every item once, in order, whether the total is known or not (a generator: read once)."""
        assert list(progress.track((i for i in range(count)), count, "rows")) == list(range(count))
        assert list(progress.track(iter(range(count)), None, "rows")) == list(range(count))

    def test_nothing_is_read_before_it_is_asked_for(self, progress):
        """A large table streams: tracking takes items one at a time, as the caller reads them."""
        taken = []

        def items():
            for i in range(500):
                taken.append(i)
                yield i

        tracked = progress.track(items(), 500, "rows")
        assert next(tracked) == 0 and len(taken) == 1
        assert list(tracked) == list(range(1, 500))


class TestNoProgress(ProgressContract):
    @pytest.fixture
    def progress(self):
        return NoProgress()


class TestRichProgress(ProgressContract):
    @pytest.fixture
    def progress(self):
        return RichProgress()

    def test_the_bar_goes_to_stderr_only(self, progress, capsys):
        """Stdout stays clean for a table or JSON."""
        list(progress.track(iter(range(450)), 450, "rows"))
        assert capsys.readouterr().out == ""
