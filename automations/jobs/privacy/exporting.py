"""`export EMAIL`: one person's data as one JSON file and a readable HTML page in privacy.export_dir."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from ...adapters.files.atomic import atomic_write
from ...context import Context
from ...domain.values import normalize_email, stable_digest
from ..base import JobResult, plural
from .gathering import _person, _reader_ok, gather

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data held about {{ data.person }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;color:#1d2733;
line-height:1.45;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:2px solid #4e5e9e;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1rem}
th,td{border:1px solid #dde3ea;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.88rem}
th{background:#f3f6f9;width:14rem;font-weight:600}.where{color:#5b6775;font-size:.85rem}
.note{background:#fff8e6;border-left:4px solid #e0a800;padding:.5rem .8rem}
</style></head><body>
<h1>Data the {{ program }} holds about {{ data.person }}</h1>
<p>Exported on {{ data.exported_on }}: {{ count }} record{{ "s" if count != 1 }} in {{ data.tables|length }}
table{{ "s" if data.tables|length != 1 }}, and {{ data.files|length }} file{{ "s" if data.files|length != 1 }}.
The same data is in the JSON file beside this page.</p>
{% for note in data.not_included %}<p class="note">Not included: {{ note }}</p>{% endfor %}
{% for t in data.tables %}
<h2>{{ t.what|capitalize }} <span class="where">({{ t.where }}; {{ t.rows|length }} record{{ "s" if t.rows|length != 1 }})</span></h2>
{% for row in t.rows %}<table>{% for k, v in row.items() %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}</table>
{% endfor %}{% endfor %}
{% if data.files %}<h2>Files</h2><table><tr><th>What</th><td><b>File</b></td></tr>
{% for f in data.files %}<tr><th>{{ f.what }}</th><td>{{ f.path }}<br><span class="where">{{ f.detail }}</span></td></tr>{% endfor %}
</table>{% endif %}
{% if not data.tables and not data.files %}<p>Nothing is held about this address.</p>{% endif %}
</body></html>
"""


def _page(data: dict, program: str) -> str:
    env = Environment(autoescape=True, undefined=StrictUndefined)
    return env.from_string(_PAGE).render(data=data, program=program,
                                          count=sum(len(t["rows"]) for t in data["tables"]))


def _address_digest(address: str) -> str:
    """What tells one person's export files from everyone else's: a digest of the whole normalised address
    (`ann+lee@` and `ann_lee@` share a readable slug, never a digest)."""
    return stable_digest("export", normalize_email(address), length=12)


#: What a reader's export (the conduct register included) adds to its name, so it never overwrites the plain one.
WITH_CONDUCT = "-with-conduct"


def _file_stem(address: str, day: date, with_conduct: bool = False) -> str:
    """`<readable slug>-<digest>[-with-conduct]-<date>`: the slug (at most 60 ASCII characters, no `/`) is for
    people; the digest makes the name one person's alone, and is what `erase` matches."""
    slug = re.sub(r"[^a-z0-9@._-]+", "_", normalize_email(address))[:60].strip(".") or "person"
    return f"{slug}-{_address_digest(address)}{WITH_CONDUCT if with_conduct else ''}-{day.isoformat()}"


def _exports_of(folder: Path, address: str) -> list[Path]:
    """The export files of exactly this person: those named with their address's digest, and those written
    before names held one (`<slug>-<date>.json` and its `.html`) whose JSON records their address."""
    if not folder.is_dir():
        return []
    digest = _address_digest(address)
    found = set(folder.glob(f"*-{digest}-????-??-??.*")) | set(folder.glob(f"*-{digest}{WITH_CONDUCT}-????-??-??.*"))
    for old in folder.glob("*-????-??-??.json"):
        if old in found or re.search(rf"-[0-9a-f]{{12}}({WITH_CONDUCT})?-\d{{4}}-\d{{2}}-\d{{2}}$", old.stem):
            continue
        try:
            person = json.loads(old.read_text(encoding="utf-8")).get("person", "")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(person, str) and normalize_email(person) == address:
            found |= {p for p in (old, old.with_suffix(".html")) if p.exists()}
    return sorted(found)


def export(ctx: Context, email: str, reader: str | None = None, program: str = "Ambassador Program") -> JobResult:
    """Write everything held about one person to `<privacy.export_dir>/<address slug>-<digest>-<date>.json` and
    `.html` (`-<digest>-with-conduct-<date>` for a reader's, which holds the conduct register)."""
    address = _person(email)
    with_conduct = _reader_ok(ctx, reader)
    result = JobResult("export")
    data = gather(ctx, address, with_conduct)
    rows = sum(len(t["rows"]) for t in data["tables"])
    held = f"{plural(rows, 'record')} in {plural(len(data['tables']), 'table')} and {plural(len(data['files']), 'file')}"
    stem = ctx.privacy.export_dir / _file_stem(address, ctx.as_of, with_conduct)
    if ctx.dry_run:
        result.summary.append(f"Dry run: {held} about {address}; would write {stem}.json and {stem}.html.")
    else:
        atomic_write(Path(f"{stem}.json"), json.dumps(data, indent=2, ensure_ascii=False) + "\n", private=True)
        atomic_write(Path(f"{stem}.html"), _page(data, program), private=True)  # 0600 always
        result.summary.append(f"{held} about {address}: written to {stem}.json and {stem}.html.")
    result.summary += [f"not included: {n}" for n in data["not_included"]]
    result.data["export"] = data
    return result
