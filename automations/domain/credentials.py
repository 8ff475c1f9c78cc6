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

Each perk notice (free event access for a quarter, conference funding from an anniversary) carries a credential too
(`perk_credential`): an award naming the perk and its period, made from the notice's key the same way, valid from
the day the perk holds, and revoked the same way when its holder is removed. A perk lost later (free event access
after a missed quarter) is not revoked: the credential says what was earned for that quarter, which stays true.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .certificates import EVENT, YEARLY, Certificate
from .messages import PlannedMessage
from .quarters import parse_quarter

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: The status list's length: 2**20 bits (the standard's least is 131,072), so that indexes made by hashing collide
#: rarely (about one pair in 1,500 credentials); `credentials publish` names any collision it would revoke.
STATUS_BITS = 2 ** 20
ISSUER_FILE, KEY_FILE, STATUS_FILE = "issuer.json", "jwk.json", "status.jwt"
VC_JWT = "application/vc+jwt"  # a signed credential's media type (VC-JOSE-COSE), as a mail attachment


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
    kind = "service" if cert.kind == YEARLY else "attendance"
    what = (f"{cert.years} year{'s' if cert.years != 1 else ''} of service" if cert.kind == YEARLY
            else f"Attendance: {cert.event_name}")
    achievement_key = f"y{cert.years}" if cert.kind == YEARLY else cert.event
    return _open_badge(cert.key, cert.email, cert.day.isoformat(), f"{cert.title}: {what}", {
        "id": issuer.url(f"achievements/{kind}-{_slug(achievement_key)}"),
        "type": ["Achievement"],
        "achievementType": "Achievement" if cert.kind == YEARLY else "Course",
        "name": what,
        "description": cert.statement,
        "criteria": {"narrative": cert.statement},
    }, issuer, keyed)


def _open_badge(key: str, email: str, day: str, name: str, achievement: dict[str, Any], issuer: Issuer,
                keyed: Callable[[str], str]) -> dict[str, Any]:
    """An `OpenBadgeCredential` for the mail key `key` to `email`, valid from `day` (ISO date): id, salt and status
    index are keyed hashes of `key`, so the same key always gives the same credential."""
    salt = keyed("credential-salt:" + key)[:32]
    index = status_index(keyed, key)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_id(keyed, key),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": issuer.name},
        "validFrom": f"{day}T00:00:00Z",
        "name": name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "hashed": True, "identityHash": identity_hash(email, salt),
                            "identityType": "emailAddress", "salt": salt}],
            "achievement": achievement,
        },
        "credentialStatus": {
            "id": f"{issuer.status_list}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": issuer.status_list,
        },
    }


FREE_EVENT_ACCESS, CONFERENCE_FUNDING = "perk_free_event_access", "perk_conference_funding"
#: The perk notices that carry a credential (their mail jobs, which are also their keys' first part).
PERK_JOBS = (FREE_EVENT_ACCESS, CONFERENCE_FUNDING)


@dataclass(frozen=True)
class Perk:
    """A perk as its notice gives it: the notice's key, the holder, the perk's period (a quarter such as
    "2026Q3", or the start date whose anniversary brought it) and the day it holds from (ISO)."""

    key: str
    email: str
    job: str
    period: str
    since: str

    @property
    def filename(self) -> str:
        """The signed credential's file in the perk's mail (`perk-free-event-access-2026Q3.jwt`)."""
        return f"{self.job.replace('_', '-')}-{_slug(self.period)}.jwt"


def perk_of(message: PlannedMessage, window_days: int) -> Perk | None:
    """The perk a planned notice gives (None for another message). Free event access holds from the day its
    quarter became final (the day after its check-in window closed); conference funding from the anniversary."""
    if message.job == FREE_EVENT_ACCESS:
        quarter = parse_quarter(str(message.context.get("quarter", "")))
        if quarter is None:
            return None
        since = (quarter.window_closes(window_days) + timedelta(days=1)).isoformat()
        return Perk(message.key, message.to_email, message.job, str(quarter), since)
    if message.job == CONFERENCE_FUNDING:
        start, since = str(message.context.get("start_date", "")), str(message.context.get("since", ""))
        return Perk(message.key, message.to_email, message.job, start, since) if start and since else None
    return None


def perk_credential(perk: Perk, issuer: Issuer, keyed: Callable[[str], str]) -> dict[str, Any]:
    """The perk's Open Badges 3.0 credential, unsigned: an award naming the perk and its period."""
    if perk.job == FREE_EVENT_ACCESS:
        what = f"Free event access ({perk.period})"
        text = (f"Free access to the program's events, earned by meeting the quarterly rule in two final quarters "
                f"in a row, the later one {perk.period}.")
        achievement_id = issuer.url("achievements/perk-free-event-access")
    else:
        what = "Conference funding"
        text = (f"Eligible to ask the program for conference funding from {perk.since}, after a full year of service "
                f"since {perk.period}.")
        achievement_id = issuer.url("achievements/perk-conference-funding")
    return _open_badge(perk.key, perk.email, perk.since, f"{issuer.name}: {what}", {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "Award",
        "name": what,
        "description": text,
        "criteria": {"narrative": text},
    }, issuer, keyed)


def credential_email(key: str) -> str:
    """The address in the mail key of a message that carries a credential ("" for another key): certificates'
    (`certificate_email`) and perk notices' (`perk_free_event_access:<email>:<quarter>`,
    `perk_conference_funding:<email>:<start date>`)."""
    kind, _, rest = key.partition(":")
    if kind in PERK_JOBS:
        return rest.rsplit(":", 1)[0]
    return certificate_email(key)


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
    """The status bits to set: those of the certificates and perks (`issued`: their mail keys) whose address is a removed
    ambassador's. Also the keys of credentials not revoked whose index is one of those (a hash collision), to name."""
    revoke, keep = set(), {}
    for key in issued:
        if credential_email(key) in removed:
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
