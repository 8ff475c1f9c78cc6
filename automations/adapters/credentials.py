"""Signing and verifying credentials with the program's Ed25519 key, and the published folder.

The key is made once with `cryptography`, like the privacy key: local.dir/.credentials_key (PKCS#8 PEM), readable
by its owner only from its first byte and never replaced once made (another run that made it meanwhile wins). The
JOSE work is joserfc's (a maintained implementation of the JOSE RFCs, from Authlib's author): its public part is
published as a JWK (RFC 8037: `kty` OKP, `crv` Ed25519), and a credential is a compact JWS (RFC 7515) with the header
`{"alg": "EdDSA", "cty": "vc", "kid": ..., "typ": "vc+jwt"}` and the credential as payload (VC-JOSE-COSE's
`application/vc+jwt`, for a data model 2.0 credential). RFC 9864 (2025) names the fully specified "Ed25519" to
replace "EdDSA"; "EdDSA" is kept, as verifiers of verifiable credentials read it today (joserfc's warning that it
is deprecated is silenced here, and nowhere else).

With the verification pages (`render.verify_pages_jinja`), `publish` also writes each credential's page at
`<uuid>/index.html` and the folder's front page `index.html`, each file only when its bytes change, and takes away
the page folders of credentials no longer issued: only a folder named as a uuid holding nothing but a page publish
wrote (its generator line). A front page staff made is left as it is.

`verify` works offline from the published folder only: the signature against its `jwk.json`, then, when the folder
has its `status.jwt` (itself verified with the same key), the credential's revocation bit.
"""

from __future__ import annotations

import base64
import json
import os
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, SecurityWarning
from joserfc.jwk import OKPKey

from ..domain.credentials import ISSUER_FILE, KEY_FILE, STATUS_BITS, STATUS_FILE, Issuer, bit_set, identity_hash
from ..domain.verify_pages import Site
from ..effects import DocumentFailed
from ..ports.documents import Published
from .files.atomic import atomic_write, create_once, is_temp_name, remove_stale_temps
from .render.verify_pages_jinja import MARKER, JinjaVerifyPages

KEY_NAME = ".credentials_key"
#: The status bits ever set, kept in local.dir: a revocation is permanent (Bitstring Status List), whatever becomes of
#: the ledger entry it was found from (an erase rewrites its key, retention deletes it).
REVOKED_NAME = ".credentials_revoked.json"
#: The JWS algorithm (RFC 8037); see the module's docstring on RFC 9864.
ALG = "EdDSA"
PAGE = "index.html"  # a credential's page in its folder, and the front page
#: A page folder's name: a credential's id as `uuid.UUID` writes it.
UUID_NAME = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


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
    """The public key as the JWK `publish` writes (joserfc's export, with its id, algorithm and use)."""
    raw = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    exported = OKPKey.import_key(raw).as_dict(private=False)
    return {"kty": exported["kty"], "crv": exported["crv"], "x": exported["x"], "kid": kid, "alg": ALG, "use": "sig"}


def jwk_key(jwk: dict) -> OKPKey:
    """The published JWK as joserfc's key; ValueError (one sentence) when it is not an Ed25519 public key."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or \
            not isinstance(jwk.get("x"), str) or "d" in jwk:
        raise ValueError("the published key is not an Ed25519 public JWK")
    try:
        return OKPKey.import_key({k: jwk[k] for k in ("kty", "crv", "x")})
    except (JoseError, ValueError, TypeError):
        raise ValueError("the published key is not an Ed25519 public JWK") from None


@contextmanager
def _eddsa() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*EdDSA.*", category=SecurityWarning)
        yield


class CredentialSigner:
    """Signs credentials as compact JWS with the program's key; `issuer` says who signs. The key is read (or made)
    when first needed: a run that signs nothing makes no key. `pages` draws the verification pages `publish`
    writes (without it, none)."""

    def __init__(self, issuer: Issuer, key: Callable[[], Ed25519PrivateKey], pages: JinjaVerifyPages | None = None,
                 revoked_file: Path | None = None):
        self.issuer = issuer
        self._load = key
        self._cached: Ed25519PrivateKey | None = None
        self._jose: OKPKey | None = None
        self.pages = pages
        self.revoked_file = revoked_file

    def revoked(self) -> set[int]:
        """The status bits set by earlier publishes (none without a record). DocumentFailed when the record is not
        readable: publishing without it could un-revoke a credential."""
        if self.revoked_file is None:
            return set()
        try:
            data = json.loads(self.revoked_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return set()
        except (OSError, ValueError) as exc:
            raise DocumentFailed(f"the record of revoked credentials {self.revoked_file} cannot be read "
                                 f"({type(exc).__name__}); restore it from a backup before publishing") from None
        if not isinstance(data, list) or not all(isinstance(i, int) and 0 <= i < STATUS_BITS for i in data):
            raise DocumentFailed(f"the record of revoked credentials {self.revoked_file} is not a list of status "
                                 f"indexes; restore it from a backup before publishing")
        return set(data)

    def keep_revoked(self, indexes: set[int]) -> bool:
        """Record `indexes` as the status bits set (owner only, atomically); whether the record changed."""
        if self.revoked_file is None:
            return False
        return atomic_write(self.revoked_file, (json.dumps(sorted(indexes)) + "\n").encode("ascii"))

    @property
    def _key(self) -> Ed25519PrivateKey:
        if self._cached is None:
            self._cached = self._load()
        return self._cached

    @property
    def _jose_key(self) -> OKPKey:
        if self._jose is None:
            self._jose = OKPKey.import_key(self._key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        return self._jose

    def sign(self, payload: dict) -> str:
        """The compact JWS of `payload` (its JSON with sorted keys, compact, UTF-8), signed by joserfc: the same
        payload always gives the same token (Ed25519 is deterministic)."""
        header = {"alg": ALG, "cty": "vc", "kid": self.issuer.key_id, "typ": "vc+jwt"}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
        with _eddsa():
            return jws.serialize_compact(header, body, self._jose_key, algorithms=[ALG])

    def jwk(self) -> dict:
        return public_jwk(self._key.public_key(), self.issuer.key_id)

    def publish(self, folder: str, status_credential: dict, site: Site | None = None,
                dry_run: bool = False) -> Published:
        """Write the static folder: the issuer's profile, the public key (JWK), the signed status list and, with
        `site` (and `pages`), the verification pages; see the module's docstring. Every page is drawn before the
        first write. Each file is written atomically, and only when its bytes change (a rerun writes nothing)."""
        where = Path(folder)
        files = {ISSUER_FILE: (json.dumps(self.issuer.profile(), indent=2) + "\n").encode("utf-8"),
                 KEY_FILE: (json.dumps(self.jwk(), indent=2) + "\n").encode("utf-8"),
                 STATUS_FILE: (self.sign(status_credential) + "\n").encode("ascii")}
        left: list[str] = []
        if site is not None and self.pages is not None:
            if _ours(where / PAGE):
                files[PAGE] = self.pages.index(self.issuer, site.as_of)
            else:
                left.append(PAGE)
            for page in site.pages:
                files[f"{page.uuid}/{PAGE}"] = self.pages.page(page, self.issuer, site.as_of)
        if not dry_run:  # what a killed publish left half-written (`.index.html.<random>.tmp`) is not published
            remove_stale_temps([where, *(where / name for name in _page_folders(where))])
        written, unchanged = [], 0
        for name, data in files.items():
            path = where / name
            if not atomic_write(path, data, dry_run=True):  # compared first: an unchanged file is not even copied
                unchanged += 1
                continue
            if not dry_run:
                atomic_write(path, data)
            written.append(name)
        removed: list[str] = []
        if site is not None and self.pages is not None:
            wanted = {page.uuid for page in site.pages}
            for name in _page_folders(where):
                if name in wanted:
                    continue
                if _only_our_page(where / name, dry_run):
                    if not dry_run:
                        try:
                            (where / name / PAGE).unlink()
                            (where / name).rmdir()
                        except OSError:  # something came in meanwhile: it stays, with what is left of it
                            left.append(f"{name}/")
                            continue
                    removed.append(f"{name}/{PAGE}")
                else:
                    left.append(f"{name}/")
        return Published(tuple(written), unchanged, tuple(removed), tuple(left))


#: How much of a page is read to find its generator line (it is in the page's head).
_HEAD_BYTES = 64 * 1024


def _ours(path: Path) -> bool:
    """Whether publish may write `path`: there is no such file yet, or it is a page publish wrote."""
    try:
        with path.open("rb") as fh:
            return MARKER in fh.read(_HEAD_BYTES)
    except FileNotFoundError:
        return True
    except OSError:  # a folder by that name, or a file not ours to read
        return False


def _page_folders(where: Path) -> list[str]:
    """The folders of `where` named as a credential's uuid (not links), sorted."""
    try:
        entries = list(os.scandir(where))
    except OSError:  # no folder yet
        return []
    return sorted(e.name for e in entries if UUID_NAME.fullmatch(e.name) and e.is_dir(follow_symlinks=False))


def _only_our_page(folder: Path, dry_run: bool) -> bool:
    """Whether a page folder holds nothing but a page publish wrote (a killed write's temporary file aside: `publish`
    removed it first, unless a live writer holds it; a dry run, which removes nothing, looks past it)."""
    try:
        names = [e.name for e in os.scandir(folder) if not (dry_run and is_temp_name(e.name))]
    except OSError:
        return False
    page = folder / PAGE
    return names == [PAGE] and page.is_file() and not page.is_symlink() and _ours(page)


@dataclass(frozen=True)
class Verdict:
    valid: bool
    why: str  # one sentence
    credential: dict | None = None
    checked: bool = True  # False: the published key could not be read, so nothing was checked


#: The largest credential `verify` reads (a certificate's is about 2 KB).
MAX_TOKEN = 256 * 1024


def decode(token: str) -> tuple[dict, dict]:
    """Header and payload of a compact JWS, read (not checked: `check_signature` checks); ValueError when it is not
    one."""
    if len(token) > MAX_TOKEN:
        raise ValueError(f"it is larger than {MAX_TOKEN // 1024} KiB")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise ValueError("it is not a compact JWS (three dot-separated parts)")
    try:
        header, payload = (json.loads(unb64url(p)) for p in parts[:2])
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValueError("its parts are not base64url JSON") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("its header or payload is not a JSON object")
    return header, payload


def check_signature(token: str, key: OKPKey) -> dict:
    """The payload of a JWS signed with `key`, checked by joserfc (EdDSA only); ValueError (one sentence) otherwise."""
    header, payload = decode(token)
    if header.get("alg") != ALG:
        raise ValueError(f"its algorithm is {str(header.get('alg'))[:20]!r}, not {ALG}")
    try:
        with _eddsa():
            jws.deserialize_compact(token.strip(), key, algorithms=[ALG])
    except BadSignatureError:
        raise ValueError("its signature does not match the published key (it was changed or signed by another key)") \
            from None
    except (JoseError, ValueError) as exc:
        raise ValueError(f"it is not a JWS joserfc can check ({type(exc).__name__})") from None
    return payload


def verify(token: str, published: Path, email: str = "") -> Verdict:
    """Check one credential offline against the published folder (its `jwk.json`, and `status.jwt` if present);
    with `email`, also that it was issued to that address (its salted hash)."""
    try:
        key = jwk_key(json.loads((published / KEY_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        return Verdict(False, f"The published key {published / KEY_FILE} cannot be read ({exc}): nothing was "
                              f"checked; give --published the folder `credentials publish` wrote.", checked=False)
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
        to = f", issued to {email.strip()}" if email else ""
        return Verdict(True, f"Valid: {name!r}, signed by the program's key{to} (no status list published to check).",
                       vc)
    try:
        listed = check_signature(status_path.read_text(encoding="ascii"), key)
        revoked = bit_set(listed["credentialSubject"]["encodedList"], int(status["statusListIndex"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Verdict(False, f"The credential's status cannot be checked: {exc}.", vc)
    if revoked:
        return Verdict(False, f"Revoked: {name!r} is marked revoked in the published status list.", vc)
    to = f", issued to {email.strip()}" if email else ""
    return Verdict(True, f"Valid: {name!r}, signed by the program's key and not revoked{to}.", vc)
