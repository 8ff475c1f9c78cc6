"""`credentials publish`: the static folder that lets anyone verify the program's credentials.

It holds the issuer's profile (`issuer.json`), the public key as a JWK (`jwk.json`) and the revocation status list
(`status.jwt`, a signed `BitstringStatusListCredential`): the bits of every certificate credential mailed (the mail
ledger's sent certificate and perk notice keys) to someone the roster marks `removed` are set. Staff put the folder on any static
host, where certificates.verify_base_url serves it. The files are the same for the same ledger, roster and day, so a
rerun rewrites nothing that matters. A dry run writes nothing and says what would be revoked.

`with_perk_credentials` signs the credential of each perk notice the `notices` job is about to send and attaches
it (`application/vc+jwt`, as certificates do; the outbox writes it beside the message).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..context import Context
from ..domain.certificates import EVENT, YEARLY
from ..domain.credentials import PERK_JOBS, VC_JWT, perk_credential, perk_of, revoked_indexes, status_list_credential
from ..domain.messages import Attachment, PlannedMessage
from ..effects import done_keys
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
    issued = [e.key for e in ctx.stores.ledger.entries().values() if e.job in CREDENTIAL_JOBS and e.status == "sent"]
    keyed = ctx.privacy.pseudonyms.keyed
    revoked, collided = revoked_indexes(issued, removed, keyed)
    for key in collided:  # a hash collision: this credential would show revoked too
        result.failures.append(f"the credential of {key} shares its status index with a revoked one and shows "
                               "revoked too; mail it again after a new key is made, or accept it")
    count = len(issued)
    head = (f"{plural(count, 'credential')} issued, {plural(len(revoked), 'status bit')} set for "
            f"{plural(len(removed), 'removed ambassador')}")
    if ctx.dry_run:
        result.summary.append(f"Dry run: {head}; nothing written to {folder}.")
        return result
    status = status_list_credential(issuer.issuer, revoked, f"{ctx.as_of.isoformat()}T00:00:00Z")
    names = issuer.publish(str(folder), status)
    result.summary.append(f"{head}; wrote {', '.join(names)} in {folder}: put the folder on the static host that "
                          f"serves {issuer.issuer.base_url or 'certificates.verify_base_url (unset)'}.")
    result.data = {"revoked": sorted(revoked), "issued": count}
    return result
