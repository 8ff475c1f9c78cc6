"""Progress on long work: `RichProgress` draws a bar (rich) on the terminal's stderr, so stdout stays clean
for a table or JSON; `NoProgress` shows nothing, for cron, pipes and tests (the run's summary and log
lines say what was done)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

MIN_ITEMS = 200  # fewer items than this finish before a bar would help


class NoProgress:
    def track(self, items: Iterable, total: int | None, what: str) -> Iterator:
        return iter(items)


class RichProgress:
    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)

    def track(self, items: Iterable, total: int | None, what: str) -> Iterator:
        if total is not None and total < MIN_ITEMS:
            yield from items
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn()]
        with Progress(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(what, total=total)
            done = 0
            for item in items:
                yield item
                done += 1
                if done % 100 == 0:  # a redraw per item would cost more than the work on large runs
                    bar.update(task, completed=done)
            bar.update(task, completed=done)


def progress_for(stdout_is_terminal: bool) -> NoProgress | RichProgress:
    return RichProgress() if stdout_is_terminal else NoProgress()
