"""The verification pages `credentials publish` writes: the page each certificate's QR code opens, valid then
revoked, naming no one, escaping hostile event ids, taken away when the person is erased (and nothing staff put in
the folder with it), written only when its bytes change, valid HTML."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import html5lib
import pypdfium2
import pytest
import zxingcpp

from automations.adapters.credentials import CredentialSigner, signing_key, verify
from automations.adapters.render.verify_pages_jinja import JinjaVerifyPages
from automations.domain.certificates import EVENT
from automations.domain.credentials import Issuer, credential_id, status_list_credential
from automations.domain.privacy import Pseudonyms
from automations.domain.verify_pages import REVOKED, VALID, Site, VerificationPage, described, verification_pages
from automations.effects import DocumentFailed
from automations.jobs import credentials as credentials_job
from automations.jobs.privacy import erase
from automations.ports.stores import LedgerEntry
from tests.test_certificates import ZOE, write_roster
from tests.test_credentials import BASE, ZOE_KEY, b64, context, published  # noqa: F401 - `published` is a fixture
from tests.test_perk_credentials import ANA, ANA_KEY, DAY, INES_KEY, build, credential_of, perks  # noqa: F401

BERLIN = ZoneInfo("Europe/Berlin")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "credentials"
PUBLISHED_ON, LATER = date(2026, 11, 26), date(2026, 12, 1)


def uuid_of(token: str) -> str:
    return json.loads(b64(token.split(".")[1]))["id"].removeprefix("urn:uuid:")


def served(folder: Path, address: str) -> Path:
    """The file a static host serving `folder` at BASE answers `address` with: its path under BASE's path, and a
    folder's index.html (hosts serve `/<uuid>` and `/<uuid>/` so)."""
    base, url = urlsplit(BASE), urlsplit(address)
    assert (url.scheme, url.netloc) == (base.scheme, base.netloc) and url.path.startswith(base.path)
    path = folder / url.path[len(base.path):].strip("/")
    return path / "index.html" if path.is_dir() else path


def parsed(data: bytes):
    """The page parsed by html5lib in strict mode, which raises at the first parse error (a document that is not
    conforming HTML syntax: a stray end tag, a missing doctype, a bad character reference...)."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(data)


def text_of(data: bytes) -> str:
    return " ".join(" ".join(parsed(data).find("body").itertext()).split())


def assert_accessible_and_self_contained(data: bytes) -> None:
    doc = parsed(data)
    assert doc.get("lang") == "en"
    assert doc.find("head/meta[@charset]").get("charset") == "utf-8"
    assert (doc.find("head/title").text or "").strip()
    assert len(doc.findall(".//h1")) == 1
    assert doc.findall(".//script") == [] and doc.findall(".//link") == [] and doc.findall(".//img") == []
    assert doc.findall(".//*[@src]") == [] and doc.findall(".//*[@style]") == []
    style = "".join(s.text or "" for s in doc.findall(".//style"))
    assert "url(" not in style and "@import" not in style
    csp = doc.find("head/meta[@http-equiv='Content-Security-Policy']").get("content")
    assert csp.startswith("default-src 'none'")


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under `folder`: its inode, modification time and bytes (a rewrite changes the inode)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            st = p.stat()
            out[p.relative_to(folder).as_posix()] = (st.st_ino, st.st_mtime_ns, p.read_bytes())
    return out


def test_the_qr_code_opens_the_credentials_page(published):
    """The address the PDF's QR code holds, mapped onto the folder, is the credential's page, which says valid."""
    program, token, pdf, folder = published
    [code] = zxingcpp.read_barcodes(pypdfium2.PdfDocument(pdf)[0].render(scale=4).to_pil())
    page = served(folder, code.text)
    assert page == folder / uuid_of(token) / "index.html" and page.is_file()
    assert served(folder, code.text + "/") == page
    data = page.read_bytes()
    assert_accessible_and_self_contained(data)
    text = text_of(data)
    assert "Certificate of service" in text and "3 years of service as an ambassador" in text
    assert "Valid Not revoked in the program's status list as published on 26 November 2026" in text
    ctx = context(program, PUBLISHED_ON)
    sent = datetime.fromisoformat(ctx.stores.ledger.entries()[ZOE_KEY].at).astimezone(ctx.settings.rules.tz).date()
    assert "Issued by Mautic Ambassador Program" in text and f"Issued on {sent.day} {sent:%B %Y}" in text
    assert f"urn:uuid:{uuid_of(token)}" in text
    assert "automations credentials verify FILE.jwt --published FOLDER" in text
    doc = parsed(data)
    assert {a.get("href") for a in doc.findall(".//a")} == {BASE + "jwk.json", BASE + "status.jwt",
                                                           BASE + "issuer.json"}
    front = (folder / "index.html").read_bytes()
    assert_accessible_and_self_contained(front)
    assert "Credential verification" in text_of(front) and uuid_of(token) not in front.decode()


def test_it_shows_revoked_once_the_holder_is_removed(published):
    """The page agrees with the status list and with `credentials verify`."""
    program, token, _pdf, folder = published
    write_roster(program, [[*ZOE[:7], "removed"]])
    res = credentials_job.publish(context(program, LATER), folder)
    assert res.failures == [] and not verify(token, folder).valid
    data = (folder / uuid_of(token) / "index.html").read_bytes()
    assert_accessible_and_self_contained(data)
    text = text_of(data)
    assert "Revoked Revoked by the program in its status list as published on 1 December 2026" in text
    assert "Valid" not in text and parsed(data).find("head/title").text.endswith(f"{REVOKED} (Mautic Ambassador Program)")


def test_no_file_names_the_holder(published):
    """Neither the name, nor the address, nor the start date in the certificate's key is in any published file."""
    _program, _token, _pdf, folder = published
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8").casefold()
            for trace in ("zoë", "zoe\u0308", "zo&euml;", "müller", "m&uuml;ller", "zoe@", "zoe%40", "2023-11-25"):
                assert trace not in text, (path, trace)


HOSTILE = ("2026-11-14-<script>alert(1)</script>\u202eevil\u2066{{ 7*7 }}&amp;<b>" + "x" * 5000)


def record_sent(ctx, key: str, job: str, at: str = "2026-11-20T09:30:00+00:00") -> None:
    with ctx.stores.ledger.batch():
        ctx.stores.ledger.record(LedgerEntry(key, job, "eve@example.org", "sent", 1, "", "<x@example.org>", at))


def test_a_hostile_event_id_is_shown_inert(published):
    """Markup is escaped, template syntax stays text, bidi controls are gone, a huge id is cut."""
    program, _token, _pdf, folder = published
    ctx = context(program, LATER)
    key = f"{EVENT}:{HOSTILE}:eve@example.org"
    record_sent(ctx, key, EVENT)
    res = credentials_job.publish(ctx, folder)
    assert res.failures == [] and res.summary[0].startswith("2 certificates and 0 perk credentials issued")
    uuid = credential_id(ctx.privacy.pseudonyms.keyed, key).removeprefix("urn:uuid:")
    data = (folder / uuid / "index.html").read_bytes()
    assert_accessible_and_self_contained(data)  # no <script>, <b> element from the id
    page = data.decode("utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ 7*7 }}" in page and "\u202e" not in page and "\u2066" not in page
    assert "&amp;amp;&lt;b&gt;" in page and "x" * 200 not in page and "eve@" not in page
    assert "Attendance at the event 2026-11-14-&lt;script&gt;" in page


def test_an_erased_persons_page_goes_and_staffs_files_stay(published):
    """Erase rekeys the person's ledger entries: their page folder is removed by the next publish; a file staff put in
    the folder, a uuid-named folder holding their own file, a front page of theirs all stay."""
    program, token, _pdf, folder = published
    mine = folder / uuid_of(token)
    (folder / "README.txt").write_text("staff notes\n", encoding="utf-8")
    theirs = folder / "0b7c3d7e-1f0a-4c53-9f57-2a8d9c0e6b11"
    theirs.mkdir()
    (theirs / "index.html").write_text("<!DOCTYPE html><title>staff</title>\n", encoding="utf-8")
    extra = folder / "5d1f0a34-7c2b-4e8a-b0c6-3f9e2d7a1b54"
    extra.mkdir()
    (extra / "index.html").write_bytes((mine / "index.html").read_bytes())
    (extra / "notes.txt").write_text("kept\n", encoding="utf-8")
    assert erase(context(program, LATER), "zoe@example.org").failures == []
    dry = credentials_job.publish(context(program, LATER, dry_run=True), folder)
    before = snapshot(folder)
    assert dry.failures == [] and "would remove 1 page of credentials no longer issued" in dry.summary[0]
    assert mine.is_dir()
    res = credentials_job.publish(context(program, LATER), folder)
    assert res.failures == [] and res.summary[0].startswith("1 certificate and 0 perk credentials issued")
    assert res.data["removed"] == [f"{mine.name}/index.html"] and not mine.exists()
    assert (folder / "README.txt").read_text(encoding="utf-8") == "staff notes\n"
    assert (theirs / "index.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html><title>staff")
    assert sorted(p.name for p in extra.iterdir()) == ["index.html", "notes.txt"]
    assert any(str(extra) in line and "left as it is" in line for line in res.summary)
    assert {k for k in before if not k.startswith(mine.name)} <= set(snapshot(folder))


def test_a_killed_publishs_temporary_file_is_not_left_in_the_folder(published):
    """A temporary file no live writer holds (a publish killed mid-write) is removed by the next publish."""
    program, token, _pdf, folder = published
    stale = folder / uuid_of(token) / ".index.html.abcd_123.tmp"
    stale.write_text("<!DOCTYPE html><title>half", encoding="utf-8")
    os.utime(stale, (0, 0))
    assert credentials_job.publish(context(program, PUBLISHED_ON), folder).failures == []
    assert not stale.exists() and (folder / uuid_of(token) / "index.html").is_file()


def test_a_front_page_staff_made_is_not_overwritten(published):
    program, _token, _pdf, folder = published
    (folder / "index.html").write_text("<!DOCTYPE html><title>Our program</title>\n", encoding="utf-8")
    res = credentials_job.publish(context(program, LATER), folder)
    assert res.failures == [] and (folder / "index.html").read_text().endswith("<title>Our program</title>\n")
    assert any("index.html is left as it is" in line for line in res.summary)


def test_a_rerun_writes_nothing_and_says_so(published):
    program, token, _pdf, folder = published
    before = snapshot(folder)
    res = credentials_job.publish(context(program, PUBLISHED_ON), folder)
    assert res.failures == [] and "nothing changed (5 files as they were)" in res.summary[0]
    assert snapshot(folder) == before
    dry = credentials_job.publish(context(program, LATER, dry_run=True), folder)
    assert "would write status.jwt, index.html and 1 verification page" in dry.summary[0]
    assert snapshot(folder) == before
    later = credentials_job.publish(context(program, LATER), folder)  # the day of publishing changed
    assert later.data["written"] == ["status.jwt", "index.html", f"{uuid_of(token)}/index.html"]


def test_a_dry_run_on_a_new_folder_writes_nothing(published, tmp_path):
    program, _token, _pdf, _folder = published
    fresh = tmp_path / "fresh"
    res = credentials_job.publish(context(program, LATER, dry_run=True), fresh)
    assert res.summary[0].endswith("would write issuer.json, jwk.json, status.jwt, index.html and 1 verification "
                                   f"page in {fresh}; nothing written.")
    assert not fresh.exists()


def test_perk_credentials_have_their_pages_and_are_counted_apart(perks):
    """The example's perk notices: the summary counts them apart from certificates; each page says the perk and its
    quarter, and neither the holder's address nor the start date of conference funding."""
    program, folder = perks
    res = credentials_job.publish(build(program, DAY), folder)
    assert res.failures == [] and res.summary[0].startswith("0 certificates and 8 perk credentials issued")
    ana = text_of((folder / uuid_of(credential_of(program, ANA_KEY)) / "index.html").read_bytes())
    assert "Perk: free event access" in ana and "earned for the quarter 2026Q3" in ana and "Valid" in ana
    ines = (folder / uuid_of(credential_of(program, INES_KEY)) / "index.html").read_bytes()
    assert_accessible_and_self_contained(ines)
    assert "Perk: conference funding" in text_of(ines) and b"2025-10-06" not in ines and b"ines.moreira" not in ines.lower()
    assert not any(ANA.encode() in p.read_bytes() for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize(("key", "title", "what"), [
    ("certificate_yearly:a@example.org:2025-01-31:y1", "Certificate of service", "One year of service as an ambassador"),
    ("certificate_event:2026-11-14-sprint:a@example.org", "Certificate of attendance",
     "Attendance at the event 2026-11-14-sprint"),
    ("perk_free_event_access:a@example.org:2026Q3", "Perk: free event access",
     "Free access to the program's events, earned for the quarter 2026Q3"),
    ("perk_conference_funding:a@example.org:2025-10-06", "Perk: conference funding",
     "Eligible to ask the program for conference funding, after a full year of service"),
])
def test_what_a_page_says_comes_from_the_key_without_the_address(key, title, what):
    assert described(key)[1:] == (title, what)
    assert "a@example.org" not in what and "2025" not in what


def test_no_page_for_an_erased_key_or_another_job():
    keyed = Pseudonyms(lambda: b"a test key").keyed
    pages = verification_pages([("certificate_yearly:erased-0123456789abcdef@erased.invalid:2025-01-31:y1", ""),
                                ("checkin_reminder:2026Q3:a@example.org:d-14", ""),
                                ("perk_conference_funding:a@example.org:2025-10-06", "garbage")], set(), keyed, BERLIN)
    assert [(p.kind, p.issued, p.status) for p in pages] == [("perk_conference_funding", None, VALID)]


def test_the_day_issued_is_the_programs_day():
    """A mail at 23:30 UTC on 24 November went on 25 November in Berlin."""
    keyed = Pseudonyms(lambda: b"a test key").keyed
    [page] = verification_pages([("perk_free_event_access:a@example.org:2026Q3", "2026-11-24T23:30:00+00:00")], set(),
                                keyed, BERLIN)
    assert page.issued == date(2026, 11, 25)


def site_of(tmp_path: Path, base: str) -> tuple[Path, CredentialSigner]:
    signer = CredentialSigner(Issuer("Program", base), lambda: signing_key(tmp_path / "key", True),
                              JinjaVerifyPages(TEMPLATES))
    folder = tmp_path / "site"
    page = VerificationPage("11111111-2222-4333-8444-555555555555", EVENT, "Certificate of attendance",
                            "Attendance at the event x", date(2026, 1, 2), VALID)
    signer.publish(str(folder), status_list_credential(signer.issuer, set(), "2026-01-03T00:00:00Z"),
                   Site(date(2026, 1, 3), (page,)))
    return folder, signer


@pytest.mark.parametrize("base", ["https://h.example/verify", "https://h.example/verify/"])
def test_a_plain_base_url_gives_each_credential_its_page(tmp_path, base):
    folder, signer = site_of(tmp_path, base)
    address = signer.issuer.verify_url("urn:uuid:11111111-2222-4333-8444-555555555555")
    assert address == "https://h.example/verify/11111111-2222-4333-8444-555555555555"
    assert (folder / urlsplit(address).path.removeprefix("/verify/") / "index.html").is_file()
    assert "If a certificate's QR code brought you here" not in text_of((folder / "index.html").read_bytes())


@pytest.mark.parametrize("base", ["https://h.example/verify/?id=", "https://h.example/verify/#"])
def test_a_query_or_fragment_base_url_lands_on_the_front_page(tmp_path, base):
    """Such an address is for a verifier service; served from the folder it opens the front page, which says how
    to check the file, and no page links to addresses that do not exist."""
    folder, _signer = site_of(tmp_path, base)
    front = (folder / "index.html").read_bytes()
    assert_accessible_and_self_contained(front)
    assert "If a certificate's QR code brought you here" in text_of(front)
    for page in (front, (folder / "11111111-2222-4333-8444-555555555555" / "index.html").read_bytes()):
        assert parsed(page).findall(".//a") == [] and "<code>jwk.json</code> in this folder" in page.decode()


def test_a_template_without_its_generator_line_fails_before_anything_is_written(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    for name in os.listdir(TEMPLATES):
        (templates / name).write_text((TEMPLATES / name).read_text(encoding="utf-8").replace(
            '<meta name="generator"', '<meta name="author"'), encoding="utf-8")
    signer = CredentialSigner(Issuer("Program", BASE), lambda: signing_key(tmp_path / "key", True),
                              JinjaVerifyPages(templates))
    with pytest.raises(DocumentFailed, match="generator line"):
        signer.publish(str(tmp_path / "site"), {}, Site(date(2026, 1, 3), ()))
    assert not (tmp_path / "site").exists()
