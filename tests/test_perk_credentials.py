"""Perk notices as verifiable credentials: free event access and conference funding mailed with a signed Open
Badges 3.0 credential (attached and beside the message in the outbox), the same on a rerun, revoked in the
published status list when the holder is removed, and covered by export and erase."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import shutil
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from automations import bootstrap
from automations.adapters.credentials import verify
from automations.config import load_config
from automations.domain.credentials import bit_set
from automations.jobs import credentials as credentials_job
from automations.jobs import mail_jobs, sync_checkins
from tests.conftest import copy_example
from tests.test_credentials import with_base_url

BASE = "https://ambassadors.example.org/verify/"
DAY = date(2026, 10, 26)  # 2026Q3 final (its window closed on 21 October): free event access and a funding notice
ANA = "ana.costa@example.org"
ANA_KEY = f"perk_free_event_access:{ANA}:2026Q3"
INES_KEY = "perk_conference_funding:ines.moreira@example.org:2025-10-06"


def b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def payload(token: str) -> dict:
    return json.loads(b64(token.split(".")[1]))


def example(dest: Path) -> Path:
    return with_base_url(copy_example(dest, "unusable_rows.csv"), BASE)


def build(program: Path, day: date, dry_run: bool = False):
    return bootstrap.build(load_config(program), day, dry_run=dry_run)


def notices(program: Path, day: date = DAY, dry_run: bool = False) -> list[str]:
    assert sync_checkins.run(build(program, day)).failures == []
    res = mail_jobs.run(build(program, day, dry_run), "notices")
    assert res.failures == []
    return res.summary


def mailed(program: Path) -> dict[str, object]:
    out = {}
    for path in sorted((program.parent / "outbox").rglob("*.eml")):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        out[str(msg["X-Automation-Key"])] = msg
    return out


def credential_of(program: Path, key: str) -> str:
    [part] = [p for p in mailed(program)[key].iter_attachments() if p.get_content_type() == "application/vc+jwt"]
    return part.get_content().decode("ascii").strip()


@pytest.fixture
def perks(tmp_path: Path):
    """The example's notices on 26 October 2026 sent with the base URL set, and the folder published;
    (program, folder)."""
    program = example(tmp_path / "a")
    notices(program)
    folder = tmp_path / "site"
    res = credentials_job.publish(build(program, DAY), folder)
    assert res.failures == []
    return program, folder


def test_each_perk_notice_carries_its_credential(perks):
    program, folder = perks
    keys = [k for k in mailed(program) if k.startswith("perk_")]
    assert ANA_KEY in keys and INES_KEY in keys and len(keys) == 8
    for key in keys:
        token = credential_of(program, key)
        assert verify(token, folder).valid, key
    vc = payload(credential_of(program, ANA_KEY))
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["name"].endswith("Free event access (2026Q3)")
    assert vc["validFrom"] == "2026-10-22T00:00:00Z"  # the day after 2026Q3's check-in window closed
    achievement = vc["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Award" and "2026Q3" in achievement["description"]
    [ident] = vc["credentialSubject"]["identifier"]
    assert ident["identityHash"] == "sha256$" + hashlib.sha256((ANA + ident["salt"]).encode()).hexdigest()
    assert ANA not in json.dumps(vc)
    funding = payload(credential_of(program, INES_KEY))
    assert funding["validFrom"] == "2026-10-06T00:00:00Z" and "2025-10-06" in funding["credentialSubject"][
        "achievement"]["description"]
    assert funding["id"] != vc["id"]
    assert credentials_job.publish(build(program, DAY), folder).data["issued"] == 8


def test_the_credential_is_written_beside_the_message(perks):
    program, _folder = perks
    [beside] = [p for p in (program.parent / "outbox").rglob("*-perk-free-event-access-2026q3.jwt") if ANA in p.name]
    assert beside.read_text(encoding="ascii").strip() == credential_of(program, ANA_KEY)


def test_checked_independently_with_cryptography_and_a_changed_byte_fails(perks):
    program, folder = perks
    token = credential_of(program, ANA_KEY)
    head, body, sig = token.split(".")
    key = Ed25519PublicKey.from_public_bytes(b64(json.loads((folder / "jwk.json").read_text())["x"]))
    key.verify(b64(sig), f"{head}.{body}".encode("ascii"))  # raises if it does not match
    changed = b64(body).replace(b"2026Q3", b"2026Q4")
    assert changed != b64(body)
    forged = f"{head}.{base64.urlsafe_b64encode(changed).decode().rstrip('=')}.{sig}"
    with pytest.raises(InvalidSignature):
        key.verify(b64(sig), f"{head}.{forged.split('.')[1]}".encode("ascii"))
    verdict = verify(forged, folder)
    assert not verdict.valid and "signature does not match" in verdict.why


def test_a_rerun_elsewhere_gives_the_same_credential(perks, tmp_path):
    """Another copy of the program with the same keys, run on a later day, signs the same notice identically."""
    program, _folder = perks
    other = example(tmp_path / "b")
    for name in (".credentials_key", ".privacy_key"):
        shutil.copy(program.parent / "data" / name, other.parent / "data" / name)
    notices(other, date(2026, 11, 5))
    assert credential_of(other, ANA_KEY) == credential_of(program, ANA_KEY)
    assert credential_of(other, INES_KEY) != credential_of(program, ANA_KEY)


def test_a_dry_run_signs_nothing_and_makes_no_key(tmp_path):
    program = example(tmp_path / "dry")
    summary = notices(program, dry_run=True)
    assert any(ANA_KEY in line for line in summary)
    assert not (program.parent / "data" / ".credentials_key").exists()
    assert not (program.parent / "outbox").exists() or not list((program.parent / "outbox").rglob("*.jwt"))


def test_a_removed_ambassadors_perk_credential_shows_revoked(perks):
    program, folder = perks
    token = credential_of(program, ANA_KEY)
    index = int(payload(token)["credentialStatus"]["statusListIndex"])
    roster = program.parent / "data" / "ambassadors.csv"
    with roster.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    for row in rows:
        if row["Email"] == ANA:
            row["Status"] = "removed"
    with roster.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    res = credentials_job.publish(build(program, date(2026, 11, 2)), folder)
    assert res.failures == [] and res.data["revoked"] == [index]
    status = json.loads(b64((folder / "status.jwt").read_text().split(".")[1]))
    assert bit_set(status["credentialSubject"]["encodedList"], index)  # read independently of the verifier
    verdict = verify(token, folder)
    assert not verdict.valid and verdict.why.startswith("Revoked")
    assert verify(credential_of(program, INES_KEY), folder).valid  # another holder's is untouched


def test_export_lists_and_erase_takes_the_perk_credential(perks, cli):
    program, _folder = perks
    outbox = program.parent / "outbox"
    ours = [p for p in outbox.rglob("*.jwt") if ANA in p.name]
    assert len(ours) == 1
    res = cli("--as-of", "2026-10-27", "export", ANA, config=program)
    assert res.code == 0, res.err
    exported = json.loads(next((program.parent / "exports").glob("*.json")).read_text(encoding="utf-8"))
    # the message is listed as one file (its .eml holds the attachment), as a certificate's is
    [eml] = [f["path"] for f in exported["files"] if f["path"].endswith(".eml") and "perk_free_event_access" in f["path"]]
    assert ours[0].name.startswith(Path(eml).stem + "-")
    res = cli("--as-of", "2026-10-27", "erase", ANA, config=program)
    assert res.code == 0, res.err
    assert [p for p in outbox.rglob("*.jwt") if ANA in p.name] == []
    assert [p for p in outbox.rglob("*.jwt") if "ines.moreira" in p.name]  # others' stay


def test_migrate_refuses_another_privacy_key_once_a_perk_credential_went(perks, tmp_path):
    """The perk credentials' status indexes were made with the privacy key: a destination with a key of its own
    could not revoke them, so migrate stops and writes nothing."""
    from automations.errors import StopRun
    from tests.test_migrate import empty_folder_program, migrate_locally

    program, _folder = perks
    dest = empty_folder_program(tmp_path, program)
    store = dest.parent / "store"
    store.mkdir()
    (store / ".privacy_key").write_bytes(b"another key of the destination's own\n")
    with pytest.raises(StopRun, match="privacy key"):
        migrate_locally(dest, program)
    assert sorted(p.name for p in store.iterdir() if p.name != ".locks") == [".privacy_key"]
    assert (store / ".privacy_key").read_bytes() == b"another key of the destination's own\n"
