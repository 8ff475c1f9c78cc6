"""The CredentialIssuer contract (`ports.CredentialIssuer`): a credential signed as a compact JWS whose payload is the
one given and whose signature checks against the published public key (checked here with `cryptography` alone);
the same payload always signed the same (Ed25519 is deterministic: a rerun rewrites nothing); the folder staff
publish holds the issuer's profile, the key and the signed status list, nothing private, and with a site each
credential's page, written only when it changes and taken away when its credential is gone. Adapter:
`CredentialSigner` (an Ed25519 key read or made in a file)."""

from __future__ import annotations

import base64
import json
import stat
from datetime import date
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from automations.adapters.credentials import KEY_NAME, REVOKED_NAME, CredentialSigner, signing_key
from automations.adapters.render.verify_pages_jinja import JinjaVerifyPages
from automations.domain.certificates import EVENT
from automations.domain.credentials import Issuer
from automations.domain.verify_pages import VALID, Site, VerificationPage
from automations.effects import DocumentFailed

PAYLOAD = {"type": ["VerifiableCredential", "OpenBadgeCredential"], "name": "Zoë 李 \u202e test",
           "credentialSubject": {"identifier": [{"identityHash": "sha256$00"}]}}


PAGE_A, PAGE_B = "11111111-2222-4333-8444-555555555555", "66666666-7777-4888-9999-000000000000"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "credentials"


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def parts(token: str) -> tuple[dict, dict, bytes, bytes]:
    head, body, sig = token.split(".")
    return json.loads(unb64(head)), json.loads(unb64(body)), f"{head}.{body}".encode("ascii"), unb64(sig)


def public_key(jwk: dict) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(unb64(jwk["x"]))


class CredentialIssuerContract:
    """A subclass gives `issuer`: the adapter, signing as a program whose verification address is set."""

    def test_a_signed_credential_carries_the_payload_and_checks_against_the_public_key(self, issuer):
        header, payload, signing_input, signature = parts(issuer.sign(PAYLOAD))
        assert payload == PAYLOAD
        assert header["alg"] == "EdDSA"
        public_key(issuer.jwk()).verify(signature, signing_input)

    def test_a_changed_byte_fails_the_signature(self, issuer):
        token = issuer.sign(PAYLOAD)
        head, body, sig = token.split(".")
        forged = json.loads(unb64(body)) | {"name": "Someone else"}
        forged_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
        with pytest.raises(InvalidSignature):
            public_key(issuer.jwk()).verify(unb64(sig), f"{head}.{forged_body}".encode("ascii"))

    def test_the_same_payload_is_signed_the_same(self, issuer):
        assert issuer.sign(PAYLOAD) == issuer.sign(dict(reversed(list(PAYLOAD.items()))))

    def test_the_published_folder_holds_the_profile_the_key_and_the_status_list(self, issuer, tmp_path):
        status = {"type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": issuer.issuer.id}
        folder = tmp_path / "published" / "credentials"
        names = issuer.publish(str(folder), status).written
        assert sorted(names) == sorted(p.name for p in folder.iterdir())
        texts = {n: (folder / n).read_text(encoding="utf-8") for n in names}
        tokens = [t.strip() for t in texts.values() if t.strip().count(".") == 2 and not t.lstrip().startswith("{")]
        assert len(tokens) == 1  # the status list, signed
        _, payload, signing_input, signature = parts(tokens[0])
        assert payload == status
        jwks = [json.loads(t) for t in texts.values() if t.lstrip().startswith("{") and '"kty"' in t]
        assert len(jwks) == 1 and "d" not in jwks[0]  # the public key only
        public_key(jwks[0]).verify(signature, signing_input)
        assert any(json.loads(t).get("id") == issuer.issuer.id for t in texts.values() if t.lstrip().startswith("{"))

    def test_a_page_per_credential_written_once_and_taken_away_when_it_is_gone(self, issuer, tmp_path):
        """With a site: each credential's page at <uuid>/index.html and a front page; the same site again writes
        nothing; a dry run writes nothing and says what it would; a page whose credential left the site goes."""
        status = {"type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": issuer.issuer.id}
        folder = tmp_path / "site"
        pages = tuple(VerificationPage(u, EVENT, "Certificate of attendance", "Attendance at the event x",
                                       date(2026, 1, 2), VALID) for u in (PAGE_A, PAGE_B))
        first = issuer.publish(str(folder), status, Site(date(2026, 1, 3), pages))
        assert {f"{PAGE_A}/index.html", f"{PAGE_B}/index.html", "index.html"} <= set(first.written)
        assert issuer.publish(str(folder), status, Site(date(2026, 1, 3), pages)).written == ()
        dry = issuer.publish(str(folder), status, Site(date(2026, 1, 3), pages[:1]), dry_run=True)
        assert dry.removed == (f"{PAGE_B}/index.html",) and (folder / PAGE_B / "index.html").is_file()
        gone = issuer.publish(str(folder), status, Site(date(2026, 1, 3), pages[:1]))
        assert gone.removed == (f"{PAGE_B}/index.html",) and gone.written == () and not (folder / PAGE_B).exists()


    def test_revocations_are_recorded_and_read_back(self, issuer):
        """What `keep_revoked` records, `revoked` gives back (an issuer with nothing recorded gives nothing); the
        same record again changes nothing."""
        assert issuer.revoked() == set()
        assert issuer.keep_revoked({7, 3, 1048575}) is True
        assert issuer.revoked() == {3, 7, 1048575}
        assert issuer.keep_revoked({3, 7, 1048575}) is False

    def test_an_unreadable_record_of_revocations_stops(self, issuer):
        """A record that cannot be read is a DocumentFailed naming it, never an empty set (that would un-revoke)."""
        issuer.keep_revoked({5})
        issuer.revoked_file.write_text("[5, ", encoding="utf-8")
        with pytest.raises(DocumentFailed, match="cannot be read"):
            issuer.revoked()
        issuer.revoked_file.write_text('["5"]', encoding="utf-8")
        with pytest.raises(DocumentFailed, match="not a list of status indexes"):
            issuer.revoked()


class TestCredentialSigner(CredentialIssuerContract):
    @pytest.fixture
    def issuer(self, tmp_path):
        key_path = tmp_path / KEY_NAME
        signer = CredentialSigner(Issuer("Mautic Ambassador Program", "https://verify.example.org/credentials"),
                                  lambda: signing_key(key_path, True), JinjaVerifyPages(TEMPLATES),
                                  tmp_path / REVOKED_NAME)
        yield signer
        if key_path.exists():  # made on first use, for its owner only
            assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
