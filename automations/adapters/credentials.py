"""Signing and verifying credentials with the program's Ed25519 key (`cryptography`), and the published folder.

The key is made once, like the privacy key: local.dir/.credentials_key (PKCS#8 PEM), readable by its owner only
from its first byte and never replaced once made (another run that made it meanwhile wins). Its public part is
published as a JWK (RFC 8037: `kty` OKP, `crv` Ed25519). A credential is a compact JWS (RFC 7515) with the header
`{"alg": "EdDSA", "kid": ..., "typ": "vc+jwt", "cty": "vc"}` and the credential as payload (VC-JOSE-COSE's
`application/vc+jwt`, for a data model 2.0 credential).

`verify` works offline from the published folder only: the signature against its `jwk.json`, then, when the folder
has its `status.jwt` (itself verified with the same key), the credential's revocation bit.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..domain.credentials import ISSUER_FILE, KEY_FILE, STATUS_FILE, Issuer, bit_set, identity_hash
from .files.atomic import atomic_write, create_once

KEY_NAME = ".credentials_key"
MEDIA_TYPE = "application/vc+jwt"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(path: Path, create: bool) -> Ed25519PrivateKey:
    """The program's key from `path`; made there once when missing and `create` (else a key of this run only)."""
    if path.is_file():
        return _load(path.read_bytes())
    key = Ed25519PrivateKey.generate()
    if not create:
        return key
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return _load(create_once(path, pem))  # another run's, when it made the file meanwhile


def _load(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the credentials key is not an Ed25519 key")
    return key


def public_jwk(key: Ed25519PublicKey, kid: str) -> dict:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": kid, "alg": "EdDSA", "use": "sig"}


def jwk_public_key(jwk: dict) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise ValueError("the published key is not an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(unb64url(jwk["x"]))


class CredentialSigner:
    """Signs credentials as compact JWS with the program's key; `issuer` says who signs. The key is read (or made)
    when first needed: a run that signs nothing makes no key."""

    def __init__(self, issuer: Issuer, key: Callable[[], Ed25519PrivateKey]):
        self.issuer = issuer
        self._load = key
        self._cached: Ed25519PrivateKey | None = None

    @property
    def _key(self) -> Ed25519PrivateKey:
        if self._cached is None:
            self._cached = self._load()
        return self._cached

    def sign(self, payload: dict) -> str:
        header = {"alg": "EdDSA", "kid": self.issuer.key_id, "typ": "vc+jwt", "cty": "vc"}
        signing_input = ".".join(b64url(json.dumps(part, ensure_ascii=False, separators=(",", ":"),
                                                   sort_keys=True).encode("utf-8")) for part in (header, payload))
        return signing_input + "." + b64url(self._key.sign(signing_input.encode("ascii")))

    def jwk(self) -> dict:
        return public_jwk(self._key.public_key(), self.issuer.key_id)

    def publish(self, folder: str, status_credential: dict) -> list[str]:
        """Write the static folder: the issuer's profile, the public key (JWK) and the signed status list. Each
        file is written atomically; the names written are returned."""
        where = Path(folder)
        where.mkdir(parents=True, exist_ok=True)
        files = {ISSUER_FILE: json.dumps(self.issuer.profile(), indent=2) + "\n",
                 KEY_FILE: json.dumps(self.jwk(), indent=2) + "\n",
                 STATUS_FILE: self.sign(status_credential) + "\n"}
        for name, text in files.items():
            atomic_write(where / name, text.encode("utf-8"))
        return list(files)


@dataclass(frozen=True)
class Verdict:
    valid: bool
    why: str  # one sentence
    credential: dict | None = None


#: The largest credential `verify` reads (a certificate's is about 2 KB).
MAX_TOKEN = 256 * 1024


def decode(token: str) -> tuple[dict, dict, bytes, bytes]:
    """Header, payload, signing input and signature of a compact JWS; ValueError when it is not one."""
    if len(token) > MAX_TOKEN:
        raise ValueError(f"it is larger than {MAX_TOKEN // 1024} KiB")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise ValueError("it is not a compact JWS (three dot-separated parts)")
    try:
        header, payload = (json.loads(unb64url(p)) for p in parts[:2])
        signature = unb64url(parts[2])
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValueError("its parts are not base64url JSON") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("its header or payload is not a JSON object")
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def check_signature(token: str, key: Ed25519PublicKey) -> dict:
    """The payload of a JWS signed with `key`; ValueError (one sentence) otherwise."""
    header, payload, signing_input, signature = decode(token)
    if header.get("alg") != "EdDSA":
        raise ValueError(f"its algorithm is {str(header.get('alg'))[:20]!r}, not EdDSA")
    try:
        key.verify(signature, signing_input)
    except InvalidSignature:
        raise ValueError("its signature does not match the published key (it was changed or signed by another key)") \
            from None
    return payload


def verify(token: str, published: Path, email: str = "") -> Verdict:
    """Check one credential offline against the published folder (its `jwk.json`, and `status.jwt` if present);
    with `email`, also that it was issued to that address (its salted hash)."""
    try:
        key = jwk_public_key(json.loads((published / KEY_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        return Verdict(False, f"The published key {published / KEY_FILE} cannot be read ({exc}).")
    try:
        vc = check_signature(token, key)
    except ValueError as exc:
        return Verdict(False, f"The credential is not valid: {exc}.")
    status = vc.get("credentialStatus") or {}
    name = str(vc.get("name", "credential"))[:120]
    if email:
        idents = (vc.get("credentialSubject") or {}).get("identifier") or []
        if not any(isinstance(i, dict) and isinstance(i.get("salt"), str) and
                   i.get("identityHash") == identity_hash(email, i["salt"]) for i in idents):
            return Verdict(False, f"Not theirs: {name!r} was not issued to the address given.", vc)
    status_path = published / STATUS_FILE
    if not status_path.is_file():
        return Verdict(True, f"Valid: {name!r}, signed by the program's key (no status list published to check).", vc)
    try:
        listed = check_signature(status_path.read_text(encoding="ascii"), key)
        revoked = bit_set(listed["credentialSubject"]["encodedList"], int(status["statusListIndex"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Verdict(False, f"The credential's status cannot be checked: {exc}.", vc)
    if revoked:
        return Verdict(False, f"Revoked: {name!r} is marked revoked in the published status list.", vc)
    return Verdict(True, f"Valid: {name!r}, signed by the program's key and not revoked.", vc)
