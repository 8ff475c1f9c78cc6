"""The CredentialIssuer contract (`ports.CredentialIssuer`): a credential signed as a compact JWS whose payload is the
one given and whose signature checks against the published public key (checked here with `cryptography` alone);
the same payload always signed the same (Ed25519 is deterministic: a rerun rewrites nothing); the folder staff
publish holds the issuer's profile, the key and the signed status list, nothing private. Adapter:
`CredentialSigner` (an Ed25519 key read or made in a file)."""

from __future__ import annotations

import base64
import json
import stat

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from automations.adapters.credentials import KEY_NAME, CredentialSigner, signing_key
from automations.domain.credentials import Issuer

PAYLOAD = {"type": ["VerifiableCredential", "OpenBadgeCredential"], "name": "Zoë 李 \u202e test",
           "credentialSubject": {"identifier": [{"identityHash": "sha256$00"}]}}


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


class TestCredentialSigner(CredentialIssuerContract):
    @pytest.fixture
    def issuer(self, tmp_path):
        key_path = tmp_path / KEY_NAME
        signer = CredentialSigner(Issuer("Mautic Ambassador Program", "https://verify.example.org/credentials"),
                                  lambda: signing_key(key_path, True))
        yield signer
        if key_path.exists():  # made on first use, for its owner only
            assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
