"""`credentials publish`: the static folder that lets anyone verify the program's credentials.

It holds the issuer's profile (`issuer.json`), the public key as a JWK (`jwk.json`) and the revocation status list
(`status.jwt`, a signed `BitstringStatusListCredential`): the bits of every certificate credential mailed (the mail
ledger's sent certificate and perk notice keys) to someone the roster marks `removed` are set. Staff put the folder on any static
host, where certificates.verify_base_url serves it.

It also holds the page each credential's QR code opens (`domain.verify_pages`): `<uuid>/index.html`, which a static
host serves at `<verify_base_url>/<uuid>` and `<verify_base_url>/<uuid>/`. The page names no one; it says what the
credential is, when it was issued, and whether it is valid or revoked on the day of publishing, and how to check
the signed file. The front page, `index.html`, says what the folder is (it lists no credential). A base URL ending
in "=" or "#" is for a verifier service: served from this folder, its QR addresses open the front page. The page
of a credential no longer in the ledger (an erased person's) is taken away; nothing staff put in the folder is.

Every file is written atomically and only when its bytes change: a rerun on the same day writes nothing (the day
of publishing is in the status list and the pages, so the next day's run rewrites them). A dry run writes
nothing and says what it would write and remove.

`with_perk_credentials` signs the credential of each perk notice the `notices` job is about to send and attaches
it (`application/vc+jwt`, as certificates do; the outbox writes it beside the message).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

from ..context import Context
from ..domain.certificates import EVENT, YEARLY
from ..domain.credentials import (
    PERK_JOBS,
    VC_JWT,
    credential_email,
    perk_credential,
    perk_of,
    revoked_indexes,
    status_index,
    status_list_credential,
)
from ..domain.messages import Attachment, PlannedMessage
from ..domain.verify_pages import Site, served_by_folder, verification_pages
from ..effects import DocumentFailed, done_keys
from ..ports.documents import Published
from .base import JobResult, load_roster, plural

#: The mail jobs whose sent messages carry a credential: certificates and perk notices.
CREDENTIAL_JOBS = (YEARLY, EVENT, *PERK_JOBS)


def with_perk_credentials(ctx: Context, planned: Sequence[PlannedMessage]) -> list[PlannedMessage]:
    """`planned` with each perk notice not sent yet carrying its signed credential. Nothing is signed in a dry run
    or without a signer; the same notice always gets the same credential (Ed25519 signatures are deterministic)."""
    signer = ctx.makers.credentials
    perks = [m for m in planned if m.job in PERK_JOBS]
    if signer is None or ctx.dry_run or not perks:
        return list(planned)
    sent = done_keys(ctx.stores.ledger)
    out = []
    for m in planned:
        perk = perk_of(m, ctx.settings.rules.window_days) if m.job in PERK_JOBS and m.key not in sent else None
        if perk is not None:
            token = signer.sign(perk_credential(perk, signer.issuer, ctx.privacy.pseudonyms.keyed))
            m = replace(m, attachments=(*m.attachments,
                                        Attachment(perk.filename, VC_JWT, (token + "\n").encode("ascii"))))
        out.append(m)
    return out


def publish(ctx: Context, folder: Path) -> JobResult:
    result = JobResult("credentials")
    issuer = ctx.makers.credentials
    if issuer is None:
        result.failures.append("credentials are not set up in this run (no signing key)")
        return result
    roster, _ = load_roster(ctx)
    removed = {a.email for a in roster if a.status == "removed"}
    entries = [e for e in ctx.stores.ledger.entries().values() if e.job in CREDENTIAL_JOBS and e.status == "sent"]
    issued = [e.key for e in entries]
    # Each credential's status index is read three times below (revocations, those kept revoked, its page): its keyed
    # hash is worked out once.
    keyed = cache(ctx.privacy.pseudonyms.keyed)
    revoked, collided = revoked_indexes(issued, removed, keyed)
    for key in collided:  # a hash collision: this credential would show revoked too
        result.failures.append(f"the credential of {key} shares its status index with a revoked one and shows "
                               "revoked too; mail it again after a new key is made, or accept it")
    # A revocation is permanent: the bits earlier publishes set stay set, whatever became of the ledger entries they
    # were found from (an erase rewrites a key, retention deletes it) or of the holder's status since.
    try:
        earlier = issuer.revoked()
    except DocumentFailed as exc:
        result.failures.append(f"{exc}; nothing was published")
        return result
    kept = sorted(key for key in issued
                  if status_index(keyed, key) in earlier - revoked and credential_email(key) not in removed)
    revoked |= earlier
    if kept:
        result.summary.append(f"{plural(len(kept), 'credential')} of people no longer marked removed "
                              f"stay{'s' if len(kept) == 1 else ''} revoked: a revocation is permanent (someone back in the "
                              f"program gets new credentials with their next certificate or perk).")
    certificates = sum(e.job in (YEARLY, EVENT) for e in entries)
    head = (f"{plural(certificates, 'certificate')} and {plural(len(entries) - certificates, 'perk credential')} "
            f"issued, {plural(len(revoked), 'status bit')} set for {plural(len(removed), 'removed ambassador')}")
    site = Site(ctx.as_of, tuple(verification_pages(((e.key, e.at) for e in entries), revoked, keyed,
                                                        ctx.settings.rules.tz)))
    status = status_list_credential(issuer.issuer, revoked, f"{ctx.as_of.isoformat()}T00:00:00Z")
    try:
        if not ctx.dry_run:
            issuer.keep_revoked(revoked)  # recorded first: a publish that fails half-way loses no revocation
        done = issuer.publish(str(folder), status, site, dry_run=ctx.dry_run)
    except (DocumentFailed, OSError) as exc:
        result.failures.append(f"the folder {folder} could not be published, nothing more was written: {exc}")
        return result
    base = issuer.issuer.base_url
    if ctx.dry_run:
        result.summary.append(f"Dry run: {head}; {_changes(done, True)} in {folder}; nothing written.")
    else:
        result.summary.append(f"{head}; {_changes(done, False)} in {folder}: put the folder on the static host "
                              f"that serves {base or 'certificates.verify_base_url (unset)'}.")
    verb = "would be" if ctx.dry_run else "is"
    for name in done.left:
        result.summary.append(
            f"{folder / name} {verb} left as it is: " + ("publish did not write it (the folder's front page is not "
                                                        "written)." if name == "index.html" else
                                                        "the page folder of a credential no longer issued, holding "
                                                        "files publish did not write."))
    if base and not served_by_folder(base):
        result.summary.append(f"certificates.verify_base_url ends in {base[-1]!r}: the QR codes open it followed by "
                              "the credential's id, which this folder answers with its front page only (a base URL "
                              "ending in \"/\" gives each credential its own page).")
    result.data = {"revoked": sorted(revoked), "issued": len(entries), "certificates": certificates,
                   "written": list(done.written), "removed": list(done.removed)}
    return result


def _changes(done: Published, dry_run: bool) -> str:
    """"wrote status.jwt, index.html and 3 verification pages, removed 1 page ..." or "nothing changed"."""
    pages = sum("/" in name for name in done.written)
    named = [name for name in done.written if "/" not in name]
    if pages:
        named.append(plural(pages, "verification page"))
    parts = []
    if named:
        listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
        parts.append(f"{'would write' if dry_run else 'wrote'} {listed}")
    if done.removed:
        parts.append(f"{'would remove' if dry_run else 'removed'} "
                     f"{plural(len(done.removed), 'page')} of credentials no longer issued")
    if not parts:
        return "nothing would change" if dry_run else f"nothing changed ({plural(done.unchanged, 'file')} as they were)"
    return ", ".join(parts)
