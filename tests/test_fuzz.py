"""Bad input, fuzzed (issue 11): the check-in form's responses and every staff-filled table, mixing rows built
to be valid with rows broken in one known cell (dates, numbers, addresses, choices), all carrying control
characters, formula-looking text, other scripts, long cells, short rows and extra columns; then the real
command line over a copy of the example program.

The generators and the checks are in `tests/fuzz_rows.py` (the 10,000-row benchmark `bench/fuzz_10k.py` uses
them too). What the scalar parsers and `safe_cells` do alone is in test_properties.py and test_safe_cells.py.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from automations.adapters.csv.tables import CELL_LIMIT
from tests import fuzz_rows as fz
from tests.conftest import copy_example, snapshot


# A stress case (`.ci/run` runs it; the README's test command leaves it out). No shrinking: an example runs the command line four times; the findings name the rows that broke a rule.
@pytest.mark.stress
@settings(max_examples=2, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_fuzzed_tables_no_crash_valid_kept_invalid_reported_no_formula(tmp_path_factory, seed):
    """Whatever the rows hold, every command ends 0, 1 or 2 with no traceback; each valid row's record is
    there (its activities and check-in, the ambassador, the request's and inquiry's job columns, the
    attendee's certificate, the incident); each broken cell is named, row and column, by a data problem (or
    by `conduct list`'s unreadable lines); no cell the jobs wrote would run as a formula; no message holds a
    header or recipient its job did not set (encoded words, line breaks and bidi controls in every typed cell)."""
    folder = tmp_path_factory.mktemp("fuzz")
    config = copy_example(folder, "unusable_rows.csv")
    sizes = {**fz.SIZES, "checkins": 70, "roster": 30, "blog": 25, "funding": 30, "inquiries": 25, "answers": 15, "attendees": 8}
    tables = fz.build(folder, random.Random(seed), sizes)  # a seed, so the benchmark's generator is this one
    found = fz.check(folder, tables, fz.run_jobs(config))
    assert found.failed() == [], "\n".join(found.failed()[:20])
    assert all(c["valid"] for name, c in found.counts.items() if name != "answers")  # the test tested something
    assert found.messages > 0  # and read the messages the jobs wrote for forged headers


def _program(tmp_path: Path, rnd: random.Random) -> tuple[Path, dict[str, fz.Table]]:
    config = copy_example(tmp_path, "unusable_rows.csv")
    return config, fz.build(tmp_path, rnd, {k: 8 for k in fz.SIZES})


TABLES = ["checkins", "roster", "blog", "funding", "inquiries", "answers", "attendees", "conduct"]


@pytest.mark.parametrize("name", TABLES)
def test_a_file_in_another_encoding_is_one_sentence(tmp_path, name):
    """A table saved as Latin-1 (bytes that are no UTF-8) stops the job reading it with exit 2 and one sentence
    naming the file and how to save it; no traceback, and nothing of the run's own state is written by it."""
    config, tables = _program(tmp_path, random.Random(7))
    t = tables[name]
    path = tmp_path / "data" / t.path
    with path.open("a", encoding="latin-1", newline="") as fh:
        csv.writer(fh).writerow(["Café Müller", "été@example.org"] + [""] * (len(t.headers) - 2))
    command = {"attendees": ("certificates",), "conduct": ("conduct", "list", "--reader", fz.READER)}.get(
        name, ("run-all",))
    res = fz.cli(config, *command)
    lines = [line for line in res.err.splitlines() if line.strip()]
    assert res.code == 2 and "Traceback" not in res.err, res.err
    assert len(lines) == 1 and Path(t.path).name in lines[0] and "UTF-8" in lines[0], res.err


def test_a_cell_of_exactly_the_limit_is_kept_one_over_is_one_sentence(tmp_path):
    """A description of exactly 10 MiB is an ordinary cell: its activity is stored (written inert, though it
    starts with '='); one character more stops sync-checkins with exit 2, one sentence, nothing written."""
    config, tables = _program(tmp_path, random.Random(3))
    t = tables["checkins"]
    row_no, (_want, sections) = next((r, k) for r, k in t.keep.items() if k[1])
    described = [i for i, h in enumerate(t.headers) if h == "Description"][sections[0] - 1]
    row = t.rows[row_no - 2]
    row.extend([""] * (len(t.headers) - len(row)))
    row[described] = "=" + "x" * (CELL_LIMIT - 1)
    fz.write_table(tmp_path / "data" / t.path, t)
    res = fz.cli(config, "sync-checkins")
    assert res.code in (0, 1) and "Traceback" not in res.err, res.err[-500:]
    found = fz.check(tmp_path, {"checkins": t}, [res, res, res, res])
    assert found.lost == [] and found.unreported == [] and found.formulas == []

    row[described] += "x"
    fz.write_table(tmp_path / "data" / t.path, t)
    before = snapshot(tmp_path / "data")
    res = fz.cli(config, "sync-checkins")
    lines = [line for line in res.err.splitlines() if line.strip()]
    assert res.code == 2 and len(lines) == 1 and "10 MiB" in lines[0] and f"row {row_no}" in lines[0]
    assert snapshot(tmp_path / "data") == before


def test_json_output_parses_whatever_the_cells_hold(tmp_path):
    """`--format json` stays JSON when a cell holds DEL, a C1 control (U+0085) or a line separator: the
    command line's escaping of control characters finds nothing to rewrite (it made `\\x85`, no JSON)."""
    import json

    config, tables = _program(tmp_path, random.Random(5))
    t = tables["conduct"]
    t.rows.append(["odd@example.org", "2026-11-01", "warning", "nel\x85 del\x7f sep\u2028 #99", "staff@example.org"])
    fz.write_table(tmp_path / "data" / t.path, t)
    res = fz.cli(config, "conduct", "list", "--reader", fz.READER, "--format", "json")
    assert res.code == 0, res.err
    described = {i["description"] for i in json.loads(res.out)["incidents"]}
    assert "nel\x85 del\x7f sep\u2028 #99" in described
