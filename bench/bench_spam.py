"""Figures: SpamAssassin's scores of the program's messages, with the rules the Debian package ships, offline.

    python bench/bench_spam.py [--templates DIR]

Three sets of real messages, each scored in one `spamassassin -L --mbox` run the way tests/test_spam_score.py
does (the shipped rules, no Bayes, no site local.cf; a message's score is the sum of the rules that fired):
every kind of message with its sample contexts in English and each language variant; the README's day
(`run-all` on 2026-10-19), then the messages with attachments (`run-all`, `report --quarter 2026Q3` and
`certificates` on 2026-11-20); and a season of the example (every mail job every day from 1 July to 31 October
2026). `--templates` scores another templates folder (its `emails/`, e.g. an earlier commit's, from
`git archive <commit> templates | tar -x -C /tmp/before`) instead of this checkout's; for the code too, copy this
script and tests/test_spam_score.py into a checkout of the other commit and run it there.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import copy_example  # noqa: E402
from tests.test_spam_score import (  # noqa: E402
    readme_day_messages,
    sample_messages,
    scores,
    season_messages,
    total,
)


def program(folder: Path, templates: Path | None) -> Path:
    config = copy_example(folder)
    if templates is not None:
        shutil.rmtree(folder / "templates" / "emails")
        shutil.copytree(templates / "emails", folder / "templates" / "emails")
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=Path, help="a templates folder to score instead of this checkout's")
    args = parser.parse_args()
    version = subprocess.run(["spamassassin", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(f"{version}; rules: /usr/share/spamassassin; templates: {args.templates or ROOT / 'templates'}")
    print("| messages | count | score > 0 | rules that fired with a score above 0 (messages) | score range | seconds |")
    print("| --- | ---: | ---: | --- | --- | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in (("every kind, samples, each language", sample_messages),
                           ("the README's day, then 2026-11-20 with the report and certificates", readme_day_messages),
                           ("a season of the example (123 days)", season_messages)):
            folder = Path(tmp) / name.split()[0] / name.split()[1]
            folder.mkdir(parents=True)
            messages = make(program(folder, args.templates))
            started = time.perf_counter()
            result = scores(messages, folder)
            seconds = time.perf_counter() - started
            totals = [total(r) for r in result.values()]
            fired = Counter(rule for r in result.values() for rule, s in r.items() if s > 0)
            rules = ", ".join(f"{rule} ({n})" for rule, n in fired.most_common())
            print(f"| {name} | {len(result)} | {sum(t > 0 for t in totals)} | {rules} | "
                  f"{min(totals):+.3f} to {max(totals):+.3f} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
