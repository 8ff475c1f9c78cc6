#!/usr/bin/env python3
"""Generate a synthetic Ambassador Program in the shape of the Google Forms CSV download.

    python bench/generate.py OUTDIR [--ambassadors 10000] [--quarters 40] [--seed 1] [--config PATH]
    python bench/generate.py OUTDIR --append 50     # new responses at the end of OUTDIR's responses

Writes, in OUTDIR:

- `ambassadors.csv`: the roster, with the column titles of `ambassadors.fields`;
- `checkin_responses.csv`: the "Form Responses 1" sheet as CSV: Timestamp (DD/MM/YYYY HH:MM:SS,
  Europe/London wall time), Email Address, Your name, the quarter question, then
  `activity_sections` sections of the `activity_columns` titles (titles with "{n}" get the
  section number, the others repeat identically in every section), then a free-text column.
  Rows are in timestamp order, as the sheet keeps them;
- `config.yaml`: a copy of the source configuration whose `local.dir` is "." (the paths resolve
  to OUTDIR; `load_config` reads relative paths from the config file's folder);
- `bench_meta.json`: the generator's parameters and counts.

The program's quarters end with 2026Q3 (the demo's "today" is 2026-11-23). Roughly one response per
ambassador per quarter since their start date, each with up to three activities: about
`ambassadors x quarters` activities in all (400,000 for the defaults). The data is deliberately
a little messy, at low rates, like the real sheet: empty sections, missing metrics, numbers
written "1,200", "2,5", "~300", emails in capitals or with spaces, duplicate submissions and
corrected resubmissions, responses after the window, a few unknown emails, a few unusable cells.

`--append N` adds N new, well-formed responses to the end of an existing OUTDIR's
`checkin_responses.csv` (the program's size and seed are read from its `bench_meta.json`): each from
a different active ambassador of that roster who started before 2026Q4, sent between 2026-10-01 and
2026-11-22 (the current quarter, whose window is open on the benchmark's "today" 2026-11-23) on a later
day than that ambassador's own latest response, reporting one to three 2026Q4 activities dated between
2026-10-01 and the day it was sent, with the sections, labels and metrics the generator writes.

Deterministic for a given --seed; standard library plus PyYAML only (no import of the package).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
LAST_QUARTER = (2026, 3)
AS_OF = date(2026, 11, 23)  # the benchmark's "today"; no response is dated after the day before
FREE_TEXT_TITLE = "Anything else you would like to tell us?"
NAME_TITLE = "Your name"

FIRST = ["Ana", "Ahmed", "Anna", "Arjun", "Budi", "Camille", "Chinedu", "Daan", "Emily", "Fiona", "Hannah",
         "Inês", "João", "Jonas", "José", "Karan", "Kwame", "Lucía", "Łukasz", "Maria", "Marcus", "Mei",
         "Nomvula", "Oliver", "Priya", "Rahul", "Sanne", "Siti", "Sofia", "Tom", "Zoë", "Lan", "Agnieszka",
         "Pierre", "Yuki", "Omar", "Fatima", "Lars", "Ingrid", "Diego", "Valentina", "Kofi", "Amara",
         "Hiroshi", "Chen", "Olga", "Ivan", "Elena", "Mateo", "Noah"]
LAST = ["Costa", "Hassan", "Nowak", "Nair", "Santoso", "Dubois", "Okafor", "Janssen", "Carter", "MacLeod",
        "Schmidt", "Moreira", "Pereira", "Becker", "Álvarez", "Mehta", "Mensah", "Fernández", "Wiśniewski",
        "Silva", "Johnson", "Tanaka", "Dlamini", "Hughes", "Deshmukh", "Verma", "de Vries", "Rahmawati",
        "Rossi", "Baker", "Müller", "Nguyễn", "Kowalczyk", "Martin", "Sato", "Haddad", "Khan", "Larsen",
        "Berg", "García", "Romano", "Boateng", "Okeke", "Yamamoto", "Wang", "Petrova", "Ivanov", "Popescu",
        "López", "Smith"]
PLACES = [  # country, region, city, languages
    ("Germany", "Europe", "Berlin", "German; English"), ("France", "Europe", "Paris", "French; English"),
    ("Spain", "Europe", "Barcelona", "Spanish; Catalan; English"), ("Brazil", "Americas", "São Paulo", "Portuguese"),
    ("India", "Asia", "Pune", "English; Hindi; Marathi"), ("Nigeria", "Africa", "Lagos", "English; Yoruba"),
    ("United Kingdom", "Europe", "London", "English"), ("Netherlands", "Europe", "Utrecht", "Dutch; English"),
    ("Poland", "Europe", "Kraków", "Polish; English"), ("Indonesia", "Asia", "Depok", "Indonesian; English"),
    ("Japan", "Asia", "Tokyo", "Japanese"), ("United States", "Americas", "Austin", "English; Spanish"),
    ("Ghana", "Africa", "Accra", "English; Twi"), ("South Africa", "Africa", "Durban", "English; Zulu"),
    ("Vietnam", "Asia", "Ho Chi Minh City", "Vietnamese; English"), ("Italy", "Europe", "Milan", "Italian"),
    ("Portugal", "Europe", "Porto", "Portuguese; English"), ("Mexico", "Americas", "Guadalajara", "Spanish"),
    ("Egypt", "Africa", "Cairo", "Arabic; English"), ("Australia", "Oceania", "Sydney", "English"),
]
UNIVERSITIES = ["", "", "", "", "", "Universidade de São Paulo", "TU Berlin", "University of Lagos",
                "Universitas Indonesia", "University of Pune", "Jagiellonian University", "UT Austin"]
KIND_WEIGHTS = {"networking": 14, "content": 30, "documentation": 10, "event": 12, "talk": 10, "advocacy": 10,
                "community_support": 14}
TITLES = {
    "event": ["Mautic Meetup {city} #{k}", "Workshop: Getting started with Mautic campaigns ({city}) #{k}",
              "Mautic contribution sprint {city} #{k}", "MautiCamp {city} day {k}"],
    "talk": ["Talk: Open source marketing automation ({city}) #{k}", "Lightning talk: Mautic segments in 5 "
             "minutes #{k}", "Guest lecture: Marketing automation with Mautic, part {k}"],
    "content": ["Blog: Focus items that convert, part {k}", "Video: Dynamic content explained #{k}",
                "Post: What I learned at our last meetup ({k})", "Podcast: Mautic in {city}, episode {k}"],
    "networking": ["Booth visit at {city} marketing fair #{k}", "Coffee with a local agency about Mautic ({k})",
                   "Met the {city} WordPress meetup organisers #{k}"],
    "documentation": ["Reviewed the translation of the user manual, chapter {k}",
                      "Updated the developer docs on custom fields ({k})"],
    "advocacy": ["Answered a training request from a {city} company #{k}", "Local point of contact call {k}"],
    "community_support": ["Answered forum questions in the Support category, week {k}",
                          "Helped users in the {city} chat channel #{k}"],
}
GOALS = ["Grow the local user group", "Introduce Mautic to agencies", "Recruit contributors",
         "Help new users get started", "Show Mautic to students", "Improve the translation",
         "Make Mautic known, in the local language"]
AUDIENCES = ["Marketers", "Developers", "Small businesses", "Students", "Agencies", "Nonprofits"]
DESCRIPTIONS = ["Shared the slides afterwards, with the recording.", "Follow-up planned next month.",
                "Two people asked about contributing", "Went well; questions about segments, campaigns, forms"]
NOTES = ["Thanks!", "Nothing to add.", "Busy quarter, more next time.",
         'The "Other" option in the form would be useful, e.g. for podcasts, meetups, etc.',
         "Two events were cancelled.\nWill report them next quarter.", "See the shared folder, thanks"]


DOMAINS = ["example.org", "example.com", "example.net"]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text.replace("Ł", "L").replace("ł", "l")).encode("ascii", "ignore").decode()


def quarter_list(n: int) -> list[tuple[int, int]]:
    """The n quarters ending with LAST_QUARTER, oldest first."""
    y, q = LAST_QUARTER
    out = []
    for _ in range(n):
        out.append((y, q))
        y, q = (y - 1, 4) if q == 1 else (y, q - 1)
    return out[::-1]


def q_start(y: int, q: int) -> date:
    return date(y, 3 * q - 2, 1)


def q_end(y: int, q: int) -> date:
    return (date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)) - timedelta(days=1)


def dmy(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def stamp(t: datetime) -> str:
    """A Timestamp cell as the form's sheet writes it: DD/MM/YYYY HH:MM:SS."""
    return f"{t.day:02d}/{t.month:02d}/{t.year} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"


class Generator:
    def __init__(self, cfg: dict, ambassadors: int, quarters: int, seed: int):
        self.rnd = random.Random(seed)
        self.n_amb = ambassadors
        self.quarters = quarter_list(quarters)
        form = cfg["checkin_form"]
        self.form = form
        self.sections = int(form.get("activity_sections", 3))
        self.fields = list(form["activity_columns"])  # field names in the configured column order
        labels: dict[str, str] = {}
        for label, kind in form["activity_kinds"].items():
            labels.setdefault(kind, label)
        self.label_of = labels
        self.kinds = [k for k in KIND_WEIGHTS if k in labels]
        self.kind_weights = [KIND_WEIGHTS[k] for k in self.kinds]
        prog = cfg.get("program", {})
        self.window = int(prog.get("checkin_window_days", 21))
        self.required = {k: [tuple(s.split("|")) for s in v] for k, v in prog["full_report_fields"].items()}
        self.amb_fields = cfg["ambassadors"]["fields"]
        self.counts = {"responses": 0, "activity_sections": 0, "duplicates": 0, "resubmissions": 0,
                       "unknown_emails": 0, "late": 0, "planted_bad_cells": 0}

    # -- the roster ---------------------------------------------------------------------------
    def roster(self) -> list[dict]:
        rnd = self.rnd
        first_day = q_start(*self.quarters[0])
        span = (q_end(*self.quarters[-1]) - first_day).days
        people = []
        for i in range(self.n_amb):
            fn, ln = rnd.choice(FIRST), rnd.choice(LAST)
            country, region, city, langs = rnd.choice(PLACES)
            start = first_day + timedelta(days=rnd.randrange(span + 1))
            status = rnd.choices(["active", "paused", "alumni", "removed"], [82, 7, 8, 3])[0]
            handle = _ascii(f"{fn}.{ln}{i}").lower().replace(" ", "")
            people.append({
                "name": f"{fn} {ln}", "email": f"{handle}@{DOMAINS[i % 3]}",
                "country": country, "region": region, "university": rnd.choice(UNIVERSITIES), "languages": langs,
                "start_date": start, "status": status, "forum_handle": handle, "chat_handle": "@" + handle,
                "city": city, "rate": rnd.choices([0.98, 0.95, 0.9, 0.75, 0.4], [30, 30, 20, 15, 5])[0],
            })
        return people

    def write_roster(self, path: Path, people: list[dict]) -> None:
        order = ["name", "email", "country", "region", "university", "languages", "start_date", "status",
                 "forum_handle", "chat_handle"]
        order = [f for f in order if f in self.amb_fields] + [f for f in self.amb_fields if f not in order]
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([self.amb_fields[f] for f in order])
            for p in people:
                row = []
                for f in order:
                    v = p.get(f, "")
                    if f == "start_date":
                        v = v.isoformat()
                    elif f == "status" and self.rnd.random() < 0.01:
                        v = v.capitalize()  # "Active": stray case, read case-insensitively
                    row.append(v)
                w.writerow(row)

    # -- the responses ------------------------------------------------------------------------
    def _count(self, lo: int, hi: int) -> tuple[int, str]:
        rnd = self.rnd
        n = int(lo * (hi / lo) ** rnd.random())
        r = rnd.random()
        if n >= 1000 and r < 0.25:
            text = f"{n:,}"  # 1,200
        elif n >= 1000 and r < 0.30:
            text = f"{n:,}".replace(",", ".")  # 1.200 (a thousands dot)
        elif r > 0.97:
            text = f"~{n}"
        elif r > 0.95:
            text = f"{n}+"
        else:
            text = str(n)
        return n, text

    def _hours(self) -> str:
        rnd = self.rnd
        h = rnd.choice([0.5, 1, 1.5, 2, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16, 24])
        r = rnd.random()
        s = f"{h:g}"
        if r < 0.15 and "." in s:
            return s.replace(".", ",")  # 2,5
        if r < 0.20:
            return s + "h"
        if r < 0.23:
            return f"~{s}"
        return s

    def _section(self, kind: str, title: str, day: date, amb: dict) -> dict[str, str]:
        rnd = self.rnd
        v: dict[str, str] = {"kind": self.label_of[kind], "title": title, "date": dmy(day)}
        if rnd.random() < 0.02:
            v["date"] = day.isoformat()  # the other accepted date format
        if kind in ("event", "talk"):
            reg, v["registrations"] = self._count(15, 400)
            v["attendees"] = self._count(max(5, reg // 3), max(6, reg))[1]
            v["goal"] = rnd.choice(GOALS)
            v["hours"] = self._hours()
            if rnd.random() < 0.5:
                v["link"] = f"https://example.org/{amb['forum_handle']}/{kind}/{rnd.randrange(10**6)}"
        elif kind == "content":
            views, v["views"] = self._count(50, 25000)
            v["engagements"] = self._count(3, max(4, views // 10))[1]
            v["reshares"] = self._count(1, max(2, views // 50))[1]
            v["audience"] = rnd.choice(AUDIENCES)
            v["link"] = f"https://example.com/{amb['forum_handle']}/post-{rnd.randrange(10**6)}"
            if rnd.random() < 0.3:
                v["hours"] = self._hours()
        else:
            v["goal"] = rnd.choice(GOALS)
            v["hours"] = self._hours()
            r = rnd.random()
            if r < 0.6:
                v["link"] = f"https://example.net/{amb['forum_handle']}/{rnd.randrange(10**6)}"
            if r > 0.4:
                v["description"] = rnd.choice(DESCRIPTIONS)
        # Missing metrics: about one activity in seven lacks something a full report needs.
        for alternatives in self.required.get(kind, ()):
            if rnd.random() < 0.04:
                for f in alternatives:
                    v.pop(f, None)
        return v

    def _plant(self, v: dict[str, str], received: date) -> None:
        """One unusable cell, of the kinds the real sheet has (each becomes a reported problem)."""
        rnd = self.rnd
        self.counts["planted_bad_cells"] += 1
        which = rnd.randrange(6)
        if which == 0:
            v["kind"] = "Podcast guest"  # typed via "Other:"
        elif which == 1:
            v["title"] = ""
        elif which == 2:
            v["date"] = "sometime in August"
        elif which == 3:
            v["date"] = ""
        elif which == 4:
            v["date"] = dmy(received + timedelta(days=rnd.randint(1, 30)))  # after the response was sent
        else:
            field = rnd.choice([f for f in ("views", "attendees", "engagements", "hours") if f in v] or ["hours"])
            v[field] = "lots"

    def responses(self, people: list[dict]) -> tuple[list[list[str]], list[str]]:
        rnd = self.rnd
        headers = [self.form["columns"]["timestamp"], self.form["columns"]["email"], NAME_TITLE,
                   self.form["columns"]["quarter"]]
        titles = self.form["activity_columns"]
        for n in range(1, self.sections + 1):
            headers += [titles[f].replace("{n}", str(n)) for f in self.fields]
        headers.append(FREE_TEXT_TITLE)
        empty_section = [""] * len(self.fields)
        latest = AS_OF - timedelta(days=1)
        rows: list[tuple[datetime, list[str]]] = []
        unknown = 0
        qindex = {q: i for i, q in enumerate(self.quarters)}
        for amb in people:
            start = amb["start_date"]
            first = qindex[((start.year), (start.month - 1) // 3 + 1)]
            stop = len(self.quarters)
            rate = amb["rate"]
            if amb["status"] in ("alumni", "removed"):
                stop = rnd.randint(first + 1, stop)  # they stopped reporting some time ago
            elif amb["status"] == "paused":
                rate *= 0.3
            k = 0  # per-ambassador title counter: activities stay distinct unless copied on purpose
            for y, q in self.quarters[first:stop]:
                if rnd.random() >= rate:
                    continue
                qs, qe = q_start(y, q), q_end(y, q)
                lo = max(qs, start)
                # Now and then a quarter's activities are split over two responses.
                parts = 2 if rnd.random() < 0.12 else 1
                for part in range(parts):
                    # When the response is sent: mostly near the end of the quarter or in its window.
                    r = 0.0 if part < parts - 1 else rnd.random()
                    if r < 0.15:
                        day = qs + timedelta(days=rnd.randrange((qe - qs).days + 1))
                    elif r < 0.40:
                        day = qe - timedelta(days=rnd.randrange(28))
                    elif r < 0.97:
                        day = qe + timedelta(days=rnd.randrange(1, self.window + 1))
                    else:
                        day = qe + timedelta(days=rnd.randint(self.window + 1, self.window + 45))  # too late
                        self.counts["late"] += 1
                    if day < lo:
                        day = lo + timedelta(days=rnd.randrange(10))
                    if day > latest:
                        day = latest
                    sent = datetime(day.year, day.month, day.day, rnd.randint(7, 23), rnd.randrange(60),
                                    rnd.randrange(60))
                    act_hi = min(qe, day)
                    if act_hi < lo:
                        break
                    n_acts = rnd.choices([0, 1, 2, 3], [0.5, 18, 38, 43.5])[0] if parts == 1 else rnd.randint(1, 2)
                    sections: list[list[str]] = []
                    for _ in range(n_acts):
                        k += 1
                        kind = rnd.choices(self.kinds, self.kind_weights)[0]
                        title = rnd.choice(TITLES[kind]).format(city=amb["city"], k=k)
                        adate = lo + timedelta(days=rnd.randrange((act_hi - lo).days + 1))
                        if rnd.random() < 0.01 and first < qindex[(y, q)]:
                            adate = qs - timedelta(days=rnd.randint(1, 20))  # belongs to the previous quarter
                        v = self._section(kind, title, adate, amb)
                        if rnd.random() < 0.004:
                            self._plant(v, day)
                        sections.append([v.get(f, "") for f in self.fields])
                    # Usually sections 1..n; sometimes a gap (section 2 left empty, 3 filled).
                    if len(sections) < self.sections and len(sections) >= 1 and rnd.random() < 0.05:
                        sections.insert(0 if rnd.random() < 0.3 else 1, empty_section)
                    cells = []
                    for s in sections[: self.sections]:
                        cells += s
                    cells += empty_section * (self.sections - min(len(sections), self.sections))
                    email = amb["email"]
                    r = rnd.random()
                    if r < 0.01:
                        email = email.capitalize()
                    elif r < 0.015:
                        email = f" {email.upper()} "
                    elif r < 0.018:
                        unknown += 1
                        email = f"stranger{unknown}@example.net"
                        self.counts["unknown_emails"] += 1
                    name = amb["name"] if rnd.random() < 0.97 else ""
                    qtext = f"{y} Q{q}" if rnd.random() < 0.98 else rnd.choice(["", f"Q{q} {y}", f"{y}Q{q}"])
                    note = "" if n_acts and rnd.random() < 0.9 else rnd.choice(NOTES)
                    row = [sent, email, name, qtext, *cells, note]
                    rows.append((sent, row))
                    self.counts["responses"] += 1
                    self.counts["activity_sections"] += n_acts
                    # A few responses are sent again: an identical copy minutes later, or a corrected one.
                    r = rnd.random()
                    if r < 0.02 and n_acts:
                        again = sent + timedelta(minutes=rnd.randint(1, 30))
                        rows.append((again, [again, *row[1:]]))
                        self.counts["duplicates"] += 1
                        self.counts["responses"] += 1
                        self.counts["activity_sections"] += n_acts
                    elif r < 0.035 and n_acts:
                        again = sent + timedelta(days=rnd.randint(0, 12), minutes=rnd.randint(1, 600))
                        fixed = list(row)
                        fixed[0] = again
                        base = 4 + self.fields.index("hours") if "hours" in self.fields else None
                        if base is not None and fixed[4]:
                            fixed[base] = self._hours()  # the same activity, a corrected number
                        rows.append((again, fixed))
                        self.counts["resubmissions"] += 1
                        self.counts["responses"] += 1
                        self.counts["activity_sections"] += n_acts
        rows.sort(key=lambda t: t[0])
        out = []
        for sent, row in rows:
            row[0] = stamp(sent)
            out.append(row)
        return out, headers

    def new_responses(self, people: list[dict], latest: dict[str, datetime], n: int, start: datetime,
                      end: datetime) -> list[list[str]]:
        """n clean responses for the current quarter, each from a different active ambassador who
        started before `start`, sent in [start, end] on a later day than that ambassador's `latest` response;
        rows in timestamp order, every cell as `responses` writes it."""
        rnd = self.rnd
        y, q = start.year, (start.month - 1) // 3 + 1
        qs = q_start(y, q)
        eligible = [p for p in people if p["status"] == "active" and p["start_date"] < qs]
        days = (end.date() - start.date()).days
        picked: list[tuple[datetime, dict]] = []
        used: set[str] = set()
        for amb in rnd.sample(eligible, len(eligible)):
            if len(picked) == n:
                break
            day = start.date() + timedelta(days=rnd.randrange(days + 1))  # at the hours `responses` uses
            sent = datetime(day.year, day.month, day.day, rnd.randint(7, 23), rnd.randrange(60), rnd.randrange(60))
            if not start <= sent <= end:
                continue
            if amb["email"] in used or (amb["email"] in latest and latest[amb["email"]].date() >= sent.date()):
                continue  # a later day than the ambassador's own latest response: "Last check-in" moves
            used.add(amb["email"])
            picked.append((sent, amb))
        if len(picked) < n:
            raise SystemExit(f"only {len(picked)} of the {n} new responses found an eligible ambassador")
        picked.sort(key=lambda t: t[0])
        empty_section = [""] * len(self.fields)
        out = []
        for sent, amb in picked:
            n_acts = rnd.choices([1, 2, 3], [18, 38, 43.5])[0]
            sections = []
            for k in range(1000, 1000 + n_acts):  # titles numbered apart from the ambassador's earlier ones
                kind = rnd.choices(self.kinds, self.kind_weights)[0]
                title = rnd.choice(TITLES[kind]).format(city=amb["city"], k=k)
                adate = qs + timedelta(days=rnd.randrange((sent.date() - qs).days + 1))
                v = self._section(kind, title, adate, amb)
                sections.append([v.get(f, "") for f in self.fields])
            cells = [c for s in sections[: self.sections] for c in s]
            cells += empty_section * (self.sections - min(len(sections), self.sections))
            note = "" if rnd.random() < 0.9 else rnd.choice(NOTES)
            out.append([stamp(sent), amb["email"], amb["name"], f"{y} Q{q}", *cells, note])
            self.counts["responses"] += 1
            self.counts["activity_sections"] += n_acts
        return out


def write_config(src: Path, dest: Path) -> dict:
    cfg = yaml.safe_load(src.read_text(encoding="utf-8")) or {}
    cfg.setdefault("local", {})["dir"] = "."
    text = (f"# Generated by bench/generate.py from {src}: the same settings, with local.dir pointing at\n"
            f"# this folder (relative paths are read from the config file's folder).\n")
    text += yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True, width=120)
    dest.write_text(text, encoding="utf-8")
    return cfg


def generate(outdir: Path, ambassadors: int = 10000, quarters: int = 40, seed: int = 1,
             config: Path = REPO / "config.yaml", quiet: bool = False) -> dict:
    t0 = time.perf_counter()
    outdir.mkdir(parents=True, exist_ok=True)
    cfg = write_config(config, outdir / "config.yaml")
    gen = Generator(cfg, ambassadors, quarters, seed)
    people = gen.roster()
    gen.write_roster(outdir / cfg["ambassadors"]["file"], people)
    rows, headers = gen.responses(people)
    with (outdir / cfg["checkin_form"]["file"]).open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        w.writerows(rows)
    # Files a previous run derived from older data would be stale.
    for stale in ("activities.csv", "checkins.csv", "unusable_rows.csv"):
        (outdir / stale).unlink(missing_ok=True)
    first, last = gen.quarters[0], gen.quarters[-1]
    meta = {"ambassadors": ambassadors, "quarters": quarters, "seed": seed, "config": str(config),
            "first_quarter": f"{first[0]}Q{first[1]}", "last_quarter": f"{last[0]}Q{last[1]}",
            "rows": len(rows), "columns": len(headers), **gen.counts,
            "seconds": round(time.perf_counter() - t0, 2)}
    (outdir / "bench_meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        print(f"Wrote {outdir}: {ambassadors} ambassadors, {meta['rows']} responses "
              f"({meta['first_quarter']}..{meta['last_quarter']}), {meta['activity_sections']} filled activity "
              f"sections, {meta['columns']} columns, in {meta['seconds']} s.")
    return meta


APPEND_START = datetime(2026, 10, 1)  # the current quarter on the benchmark's "today" (2026Q4, window open)
APPEND_END = datetime(AS_OF.year, AS_OF.month, AS_OF.day) - timedelta(seconds=1)  # 2026-11-22 23:59:59


def append_responses(outdir: Path, n: int = 50, quiet: bool = False) -> dict:
    """Append n new responses to OUTDIR's `checkin_responses.csv`, for the roster generated there
    (size and seed read from its bench_meta.json); returns what was appended."""
    meta = json.loads((outdir / "bench_meta.json").read_text(encoding="utf-8"))
    cfg = yaml.safe_load((outdir / "config.yaml").read_text(encoding="utf-8"))
    gen = Generator(cfg, meta["ambassadors"], meta["quarters"], meta["seed"])
    people = gen.roster()  # the roster's draws come first, so this is the roster in OUTDIR
    gen.rnd = random.Random(meta["seed"] * 1_000_003 + n)  # the new rows' own stream
    gen.counts = {k: 0 for k in gen.counts}
    path = outdir / cfg["checkin_form"]["file"]
    latest: dict[str, datetime] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        file_headers = next(reader)
        for row in reader:
            email, sent = row[1].strip().lower(), datetime.strptime(row[0], "%d/%m/%Y %H:%M:%S")
            if sent > latest.get(email, sent - timedelta(seconds=1)):
                latest[email] = sent
    _, headers = Generator(cfg, 1, 1, 0).responses([])
    if file_headers != headers:
        raise SystemExit(f"{path}: its headers are not the ones the generator writes for {outdir / 'config.yaml'}")
    rows = gen.new_responses(people, latest, n, APPEND_START, APPEND_END)
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    added = {"appended": len(rows), "activity_sections": gen.counts["activity_sections"],
             "first": rows[0][0] if rows else None, "last": rows[-1][0] if rows else None,
             "file_latest_before": stamp(max(latest.values())) if latest else None}
    if not quiet:
        print(f"Appended {added['appended']} responses ({added['activity_sections']} activities, sent "
              f"{added['first']} .. {added['last']}) to {path}.")
    return added


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--ambassadors", type=int, default=10000)
    ap.add_argument("--quarters", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--config", type=Path, default=REPO / "config.yaml",
                    help="the configuration whose form and roster shape to follow (default: the repository's)")
    ap.add_argument("--append", type=int, default=0, metavar="N",
                    help="append N new responses to OUTDIR's existing responses instead (size and seed from "
                         "its bench_meta.json)")
    a = ap.parse_args(argv)
    if a.append:
        append_responses(a.outdir, a.append)
        return 0
    if a.ambassadors < 1 or a.quarters < 1:
        ap.error("--ambassadors and --quarters must be at least 1")
    generate(a.outdir, a.ambassadors, a.quarters, a.seed, a.config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
