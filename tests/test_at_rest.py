"""Private by default at rest (issue 18): every file the program writes is 0600 and every folder 0700 whatever
the umask (0640/0750 with `privacy.group_readable: true`; the conduct register and exports 0600 always); the
work cache keeps no byte of an erased address; a server echoing the request's headers in its error body gets no
secret printed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import yaml

from tests.airtable_env import BASE, use_airtable
from tests.conftest import ROOT, copy_example, run_cli
from tests.fake_airtable import FakeAirtable
from tests.fake_discourse import FakeDiscourse

AS_OF = "2026-10-19"
PRIYA = "priya.deshmukh@example.org"
READER = "lead@example.org"


@contextmanager
def umask(value: int):
    """The umask the CLI's subprocesses inherit (cron's usual 022, or a careless 000)."""
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def _program(tmp_path: Path, **privacy) -> Path:
    config = copy_example(tmp_path)
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    cfg["conduct"]["readers"] = [READER]
    cfg["privacy"].update(privacy)
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (tmp_path / "data" / "conduct_register.csv").write_text(
        f"Email,Date,Step,Description,Recorded by\n{PRIYA},2026-09-01,note,QZX-incident-text,{READER}\n",
        encoding="utf-8")
    return config


def _made_by_program(root: Path, staff: set[str]) -> tuple[dict[str, int], dict[str, int]]:
    """The modes of every file and folder under `root` the program made (not those of the copy: staff's)."""
    files, dirs = {}, {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel in staff:
            continue
        mode = stat.S_IMODE(p.lstat().st_mode)
        (dirs if p.is_dir() else files)[rel] = mode
    return files, dirs


def _run(config: Path, *commands: tuple[str, ...]) -> None:
    for args in commands:
        r = run_cli("--as-of", AS_OF, *args, config=config)
        assert r.code in (0, 1), (args, r.err[-2000:])


def test_every_file_the_program_writes_is_private_under_umask_022(tmp_path):
    config = _program(tmp_path)
    staff = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")}
    with umask(0o022):
        _run(config, ("run-all",), ("export", PRIYA, "--reader", READER), ("report", "--quarter", "2026Q3"))
        files, dirs = _made_by_program(tmp_path, staff)
        # What ran wrote where it should: outbox, reports (PDF too), exports, the ledger, the work cache.
        for part in ("outbox/", ".pdf", ".eml", "reports/", "exports/", ".work_cache.sqlite3", "ledger", ".locks/"):
            assert any(part in f for f in files), (part, sorted(files))
        assert {f: oct(m) for f, m in files.items() if m != 0o600} == {}
        assert {d: oct(m) for d, m in dirs.items() if m != 0o700} == {}
        _run(config, ("erase", PRIYA, "--reader", READER))
    files, dirs = _made_by_program(tmp_path, staff)
    assert {f: oct(m) for f, m in files.items() if m != 0o600} == {}
    assert {d: oct(m) for d, m in dirs.items() if m != 0o700} == {}
    # The conduct register staff made 0644 is 0600 once the program has rewritten it (erase --reader).
    assert stat.S_IMODE((tmp_path / "data" / "conduct_register.csv").stat().st_mode) == 0o600


def test_group_readable_gives_0640_and_0750_but_exports_stay_0600(tmp_path):
    config = _program(tmp_path, group_readable=True)
    staff = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")}
    with umask(0o000):
        for args in (("run-all",), ("export", PRIYA, "--reader", READER)):
            assert run_cli("--as-of", AS_OF, *args, config=config).code in (0, 1)
    files, dirs = _made_by_program(tmp_path, staff)
    exports = {f for f in files if f.startswith("exports/")}
    assert len(exports) == 2
    assert {f: oct(m) for f, m in files.items() if f in exports and m != 0o600} == {}
    # The program's keys are secrets: owner-only whatever staff ask for the tables.
    keys = {f for f in files if f in ("data/.privacy_key", "data/.credentials_key")}
    assert {f: oct(m) for f, m in files.items() if f in keys and m != 0o600} == {}
    assert {f: oct(m) for f, m in files.items() if f not in exports | keys and m != 0o640} == {}
    assert dirs and {d: oct(m) for d, m in dirs.items() if m != 0o750} == {}


def test_the_work_cache_keeps_no_byte_of_an_erased_address(tmp_path):
    """Also not from free pages a build without secure delete left: this machine's SQLite deletes securely by
    default, so such pages are made here as that build makes them (secure_delete off, a row deleted)."""
    import sqlite3

    config = copy_example(tmp_path)
    assert run_cli("--as-of", AS_OF, "run-all", config=config).code in (0, 1)
    cache = tmp_path / "data" / ".work_cache.sqlite3"
    assert PRIYA.encode() in cache.read_bytes()  # the cache holds her address
    db = sqlite3.connect(cache, isolation_level=None)
    db.execute("PRAGMA secure_delete=OFF")
    db.execute("INSERT INTO meta (key, value) VALUES ('old', ?)", ((PRIYA * 2000).encode(),))
    db.execute("DELETE FROM meta WHERE key = 'old'")
    db.close()
    r = run_cli("--as-of", AS_OF, "erase", PRIYA, config=config)
    assert r.code == 0, r.err
    leftovers = [p.name for p in tmp_path.joinpath("data").glob(".work_cache*") if PRIYA.encode() in p.read_bytes()]
    assert leftovers == []


def _cli(config: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automations", "--config", str(config), "--as-of", AS_OF, *args],
                          capture_output=True, text=True, cwd=config.parent, env=env, timeout=120)


def test_an_airtable_token_echoed_in_an_error_body_is_never_printed(tmp_path):
    token = "an-opaque-token-7f3k9q2w-SECRET"  # not shaped like a PAT: only the configured value finds it
    with FakeAirtable(token=token, base_ids=(BASE,)) as fake:
        fake.echo_headers_status = 403
        config = copy_example(tmp_path)
        use_airtable(config, fake.url, max_attempts=1)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "AIRTABLE_TOKEN": token, "NO_PROXY": "127.0.0.1"}
        proc = _cli(config, env, "run-all")
    assert fake.requests, "the fake was asked"
    assert proc.returncode == 2 and "request headers" in proc.stderr, proc.stderr
    assert "[redacted]" in proc.stderr
    assert token not in proc.stdout + proc.stderr
    assert token[:12] not in proc.stdout + proc.stderr


def test_a_forum_key_echoed_in_an_error_body_is_never_printed(tmp_path):
    key = "forum-admin-key-5b8c1d0e-SECRET"
    with FakeDiscourse(api_key=key) as forum:
        forum.echo_headers(403)
        config = copy_example(tmp_path)
        cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
        cfg["forum"].update(url=forum.url, max_attempts=1, timeout_seconds=5)
        config.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DISCOURSE_API_KEY": key, "NO_PROXY": "127.0.0.1"}
        proc = _cli(config, env, "forum")
    assert forum.log, "the fake was asked"
    assert proc.returncode == 2 and "Request headers" in proc.stderr, proc.stderr
    assert key not in proc.stdout + proc.stderr
    assert key[:12] not in proc.stdout + proc.stderr


def test_redaction_of_what_looks_like_a_credential():
    from automations.redaction import redact

    text = ("{'Authorization': 'Bearer patAbcdefghijklmn.0123456789abcdef0123456789abcdef', "
            "'Api-Key': 'k3y-value-123', 'Api-Username': 'system'} Authorization: Bearer xyz.abc-0123456789")
    out = redact(text, ["k3y-value-123"])
    assert "patAbcdefghijklmn" not in out and "k3y-value" not in out and "xyz.abc" not in out
    assert "'Api-Username': 'system'" in out
    assert redact("row 3: the api key column is empty") == "row 3: the api key column is empty"


def test_files_an_older_version_left_wide_are_made_private_by_the_next_run(tmp_path):
    """The program's folders and state files, exports and the conduct register, left 0755/0644 by an older
    version, are 0700/0600 after the next run; a table staff made (the roster) keeps its mode."""
    config = _program(tmp_path)
    _run(config, ("run-all",), ("export", PRIYA, "--reader", READER))
    data = tmp_path / "data"
    wide = [tmp_path / "outbox", tmp_path / "exports", data / ".locks", data / "mail_ledger.csv",
            data / "activities.csv", data / ".work_cache.sqlite3", data / "conduct_register.csv",
            *(tmp_path / "exports").iterdir()]
    for p in wide:
        p.chmod(0o755 if p.is_dir() else 0o644)
    roster = data / "ambassadors.csv"
    roster.chmod(0o664)
    with umask(0o022):
        _run(config, ("run-all",))
    assert {p.relative_to(tmp_path).as_posix(): oct(stat.S_IMODE(p.stat().st_mode)) for p in wide
            if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)} == {}
    assert stat.S_IMODE(roster.stat().st_mode) == 0o664


def test_a_google_error_body_echoing_the_bearer_token_is_redacted():
    """A Google error (as googleapiclient raises it) whose message repeats the request's Authorization header:
    the text the jobs print from it holds no token."""
    import json

    import httplib2
    from googleapiclient.errors import HttpError

    from automations.adapters.google.access import http_error_text

    token = "ya29.a0AfH6SMBx-fake-access-token-0123456789"
    body = {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                      "message": f"Bad request; headers: authorization: Bearer {token}"}}
    exc = HttpError(httplib2.Response({"status": 400}), json.dumps(body).encode())
    text = http_error_text(exc)
    assert "INVALID_ARGUMENT" in text and "[redacted]" in text
    assert token not in text and "ya29" not in text
