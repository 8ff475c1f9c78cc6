"""`certificates`: a PDF certificate by mail for each full year of service and each event attended.

The certificates due today are planned by `domain.certificates` (each with its key); those whose
mail the ledger holds as sent are dropped before anything is drawn, so a rerun draws and sends
nothing. Each remaining one is drawn (fpdf2) and attached to its message, which goes through the
mail ledger like every message: once per key, recorded, retried by a later run if it failed. A
name the fonts cannot draw is a failure of this run (exit 1), never a certificate with empty boxes.
A dry run draws nothing and lists the messages that would go.

Each certificate also comes as a verifiable credential (`domain.credentials`: Open Badges 3.0, signed by
`ctx.makers.credentials` with the program's key): the signed file is attached beside the PDF, and the PDF
carries a QR code opening its verification page when certificates.verify_base_url is set.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ..context import Context
from ..domain.certificates import YEARLY, Certificate, plan_events, plan_yearly, unprintable, years_word
from ..domain.credentials import VC_JWT
from ..domain.credentials import credential as make_credential
from ..domain.messages import Attachment, PlannedMessage, first_name
from ..effects import ActionFailed, done_keys
from .base import JobResult, load_roster, plural, record_problems
from .mail_jobs import refuse_left_behind, send

PDF = "application/pdf"


def credential_filename(cert: Certificate) -> str:
    """The signed credential's file: the PDF's name with `.jwt` (`certificate-2-years-ada.jwt`)."""
    return cert.filename.removesuffix(".pdf") + ".jwt"


def message(cert: Certificate, pdf: bytes | None, start_date: str = "", greet: str = "",
            credential: str = "") -> PlannedMessage:
    """The certificate's mail: its key, the template's context, and the PDF attached (none in a dry run), with its
    signed credential beside it when there is one.
    `greet`: the name the roster says to greet them by (`messages.first_name`); else the certificate's name."""
    first = greet or cert.name.strip() or cert.email
    context = {"first_name": first, "name": cert.name, "email": cert.email, "day": cert.day.isoformat(),
               "filename": cert.filename, "years": cert.years, "years_text": years_word(cert.years),
               "start_date": start_date, "event_name": cert.event_name}
    attachments: tuple[Attachment, ...] = (Attachment(cert.filename, PDF, pdf),) if pdf is not None else ()
    if pdf is not None and credential:
        attachments += (Attachment(credential_filename(cert), VC_JWT, (credential + "\n").encode("ascii")),)
    return PlannedMessage(key=cert.key, job=cert.kind, to_email=cert.email, to_name=cert.name, context=context,
                          language=cert.language, languages=cert.languages, obligation=False,
                          attachments=attachments)


def run(ctx: Context) -> JobResult:
    refuse_left_behind(ctx)  # mail that went from the local folder, unknown here: stop before any write
    result = JobResult("certificates")
    roster, _ = load_roster(ctx)  # the roster's own problems are reported by the jobs that judge it
    attendees, found = ctx.stores.attendees.read()
    sources = {a.source for a in attendees} | {p.source for p in found}
    record_problems(ctx, result, found, people=(), closing_sources=sources)
    fresh = ctx.settings.certificate_freshness_days
    program = ctx.mail.renderer.common.get("program_name", "program")
    due = plan_yearly(roster, ctx.as_of, fresh, program) + plan_events(
        attendees, ctx.as_of, fresh, {a.email: tuple(a.languages) for a in roster})
    sent = done_keys(ctx.stores.ledger)
    todo = [c for c in due if c.key not in sent]
    starts = {a.email: a.start_date.isoformat() for a in roster}
    greetings = {a.email: first_name(a) for a in roster}
    renderer = ctx.makers.certificates
    planned, drawn, size, started = [], 0, 0, time.perf_counter()
    refused = {c.key: unprintable(c, renderer.covers) for c in todo}
    if not ctx.dry_run and any(not why for why in refused.values()):
        renderer.prepare([c for c in todo if not refused[c.key]])  # the fonts cut down to this run's names
    for cert in ctx.progress.track(todo, len(todo), "Drawing certificates"):
        why = refused[cert.key]
        if why:
            result.failures.append(f"{cert.key} to {cert.email}: {why}")
            continue
        pdf, signed = None, ""
        if not ctx.dry_run:
            issuer = ctx.makers.credentials
            if issuer is not None:  # the credential first: its id is the QR code's address on the PDF
                vc = make_credential(cert, issuer.issuer, ctx.privacy.pseudonyms.keyed)
                cert = replace(cert, verify_url=issuer.issuer.verify_url(vc["id"]))
                signed = issuer.sign(vc)
            try:
                pdf = renderer.render(cert)
            except ActionFailed as exc:
                result.failures.append(f"{cert.key} to {cert.email}: {exc}; not sent")
                continue
            drawn += 1
            size += len(pdf)
        planned.append(message(cert, pdf, starts.get(cert.email, "") if cert.kind == YEARLY else "",
                               greetings.get(cert.email, ""), signed))
    seconds = time.perf_counter() - started
    yearly = sum(1 for c in due if c.kind == YEARLY)
    head = (f"{plural(len(due), 'certificate')} due ({yearly} for years of service, {len(due) - yearly} for "
            f"events, from {len(attendees)} attendee lines in {ctx.stores.attendees.where})")
    if ctx.dry_run:
        result.summary.append(f"Dry run: {head}; {plural(len(planned), 'certificate')} would be drawn and sent.")
    else:
        average = f", {size / drawn / 1024:.0f} KiB and {seconds / drawn:.2f} s each" if drawn else ""
        result.summary.append(f"{head}; {plural(drawn, 'PDF')} drawn{average}.")
    # Those whose mail went were left out before drawing, those that could not be drawn failed here: the
    # mail's line counts both, so the run says once what had gone earlier and what failed.
    mail = send(ctx, "certificates", planned, earlier=len(due) - len(todo), failed=len(result.failures))
    result.failures += mail.failures
    result.summary += mail.summary
    result.data = {"drawn": drawn, "bytes": size, "seconds": seconds, "due": len(due), "todo": len(todo)}
    return result
