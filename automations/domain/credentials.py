"""Verifiable credentials of certificates: what an Open Badges 3.0 credential says, and the status list. Pure.

A certificate (`domain.certificates.Certificate`) also comes as an Open Badges 3.0 `OpenBadgeCredential`, a W3C
Verifiable Credential (data model 2.0, JSON-LD). It is secured as VC-JOSE-COSE describes for JSON-LD credentials:
a compact JWS (`alg` EdDSA, `typ` "vc+jwt", `cty` "vc") whose payload is the credential itself; the signing is done
by an adapter (`adapters.credentials`). Nothing here reads a clock or a key:

- The recipient is never the address: `credentialSubject.identifier` holds `sha256$<hex>` of the address followed
  by a salt (Open Badges' `IdentityObject`, `hashed: true`). Salt, credential id and status index come from keyed
  hashes of the certificate's key (`Pseudonyms`), so the same certificate always gives the same credential, and a
  person's credentials cannot be linked or guessed from the address alone. Erasing a person needs nothing more.
- Revocation: a `BitstringStatusListEntry` (W3C Bitstring Status List 1.0, purpose `revocation`) at an index made
  from the certificate's key (`status_index`) in a list of `STATUS_BITS` bits. `credentials publish` sets the bits
  of removed ambassadors' certificates (`revoked_indexes`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .certificates import EVENT, YEARLY, Certificate

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: The status list's length: 2**20 bits (the standard's least is 131,072), so that indexes made by hashing collide
#: rarely (about one pair in 1,500 credentials); `credentials publish` names any collision it would revoke.
STATUS_BITS = 2 ** 20
ISSUER_FILE, KEY_FILE, STATUS_FILE = "issuer.json", "jwk.json", "status.jwt"


@dataclass(frozen=True)
class Issuer:
    """The program as issuer: its profile's id (a URL under the published folder, or a URN without one)."""

    name: str
    base_url: str  # certificates.verify_base_url ("" when unset: no QR code, URNs for ids)

    def url(self, name: str) -> str:
        return f"{self.base_url.rstrip('/')}/{name}" if self.base_url else f"urn:ambassadors:{_slug(self.name)}:{name}"

    @property
    def id(self) -> str:
        return self.url(ISSUER_FILE)

    @property
    def key_id(self) -> str:
        return self.url(KEY_FILE) + "#key-1"

    @property
    def status_list(self) -> str:
        return self.url(STATUS_FILE)

    def verify_url(self, credential_id: str) -> str:
        """The address the certificate's QR code opens: verify_base_url then the credential's uuid ("" unset)."""
        if not self.base_url:
            return ""
        plain = credential_id.removeprefix("urn:uuid:")
        return self.base_url + plain if self.base_url.endswith(("/", "=", "#")) else f"{self.base_url}/{plain}"

    def profile(self) -> dict[str, Any]:
        return {"@context": [VC_CONTEXT, OB_CONTEXT], "id": self.id, "type": ["Profile"], "name": self.name}


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "program"


def credential_id(keyed: Callable[[str], str], cert_key: str) -> str:
    """`urn:uuid:` of a keyed hash of the certificate's key (`keyed` gives 32+ hex digits)."""
    return f"urn:uuid:{uuid.UUID(hex=keyed('credential-id:' + cert_key)[:32])}"


def status_index(keyed: Callable[[str], str], cert_key: str) -> int:
    return int(keyed("credential-status:" + cert_key)[:16], 16) % STATUS_BITS


def identity_hash(email: str, salt: str) -> str:
    """Open Badges' hashed identity: `sha256$` and the hex digest of the address followed by the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def credential(cert: Certificate, issuer: Issuer, keyed: Callable[[str], str]) -> dict[str, Any]:
    """The certificate's Open Badges 3.0 credential, unsigned. `keyed`: a keyed hash (hex) of a text."""
    cid = credential_id(keyed, cert.key)
    salt = keyed("credential-salt:" + cert.key)[:32]
    kind = "service" if cert.kind == YEARLY else "attendance"
    what = (f"{cert.years} year{'s' if cert.years != 1 else ''} of service" if cert.kind == YEARLY
            else f"Attendance: {cert.event_name}")
    achievement_key = f"y{cert.years}" if cert.kind == YEARLY else cert.event
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": cid,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": issuer.name},
        "validFrom": f"{cert.day.isoformat()}T00:00:00Z",
        "name": f"{cert.title}: {what}",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "hashed": True, "identityHash": identity_hash(cert.email, salt),
                            "identityType": "emailAddress", "salt": salt}],
            "achievement": {
                "id": issuer.url(f"achievements/{kind}-{_slug(achievement_key)}"),
                "type": ["Achievement"],
                "achievementType": "Achievement" if cert.kind == YEARLY else "Course",
                "name": what,
                "description": cert.statement,
                "criteria": {"narrative": cert.statement},
            },
        },
        "credentialStatus": {
            "id": f"{issuer.status_list}#{status_index(keyed, cert.key)}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index(keyed, cert.key)),
            "statusListCredential": issuer.status_list,
        },
    }


def certificate_email(key: str) -> str:
    """The address in a certificate's mail key ("" for another key): yearly `certificate_yearly:<email>:...`,
    event `certificate_event:<event>:<email>`."""
    kind, _, rest = key.partition(":")
    if kind == YEARLY:
        return rest.split(":", 1)[0]
    if kind == EVENT:
        return rest.rsplit(":", 1)[-1]
    return ""


def revoked_indexes(issued: Iterable[str], removed: set[str], keyed: Callable[[str], str]) -> tuple[set[int], list[str]]:
    """The status bits to set: those of the certificates (`issued`: their keys) whose address is a removed
    ambassador's. Also the keys of credentials not revoked whose index is one of those (a hash collision), to name."""
    revoke, keep = set(), {}
    for key in issued:
        if certificate_email(key) in removed:
            revoke.add(status_index(keyed, key))
        else:
            keep[key] = status_index(keyed, key)
    return revoke, sorted(k for k, i in keep.items() if i in revoke)


def encode_bits(indexes: Iterable[int], length: int = STATUS_BITS) -> str:
    """Bitstring Status List's `encodedList`: the bits (index 0 the first, most significant bit), GZIP-compressed,
    base64url without padding, with the multibase prefix "u". Deterministic (the GZIP header holds no time)."""
    bits = bytearray(length // 8)
    for i in indexes:
        bits[i // 8] |= 0x80 >> (i % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def bit_set(encoded: str, index: int) -> bool:
    """Whether the bit at `index` is set in an `encodedList`; ValueError when it is not one."""
    if not encoded.startswith("u"):
        raise ValueError("the status list is not base64url multibase")
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    if not 0 <= index < len(raw) * 8:
        raise ValueError(f"status index {index} is outside the list")
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(issuer: Issuer, revoked: Iterable[int], valid_from: str) -> dict[str, Any]:
    """The `BitstringStatusListCredential` that `credentials publish` signs."""
    return {
        "@context": [VC_CONTEXT],
        "id": issuer.status_list,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.id,
        "validFrom": valid_from,
        "credentialSubject": {"id": issuer.status_list + "#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encode_bits(revoked)},
    }
