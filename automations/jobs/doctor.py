"""`doctor`: check configuration, credentials, the store's schema, the input and the form's
headers, and whether the program is ready to go live, and say what is wrong, one line per finding.

It goes through the same build as every job, reads and never writes. A configuration that
cannot be loaded stops at once; every other check runs, so one run lists every finding. Any
finding that would stop a job, or that says the configuration is still the example's (a demo, not
ready to go live: `domain.golive`), makes the exit code 2. Every email template is rendered, in every
language it has, with sample data through the renderer the jobs use, and so are the review document's
and the report's templates: a typo is a FAIL line naming the file and line, not a message that fails
at send time. What the store holds is read by each check whose tables the store has; one line names what
waits for a missing table (the admin check's FAIL line says how to make it). A `migrate` into this store that
stopped part-way is a FAIL line saying to run it again (the jobs stop until then; `doctor` and `init` run).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import timedelta

from .. import bootstrap
from ..config import Config
from ..context import Context
from ..domain import golive
from ..domain.certificates import YEARLY
from ..domain.credentials import Issuer
from ..domain.form_check import Line, check_responses, roster_lines
from ..domain.messages import MESSAGE_JOBS
from ..domain.quarters import latest_ended
from ..domain.template_samples import review_document_fields, sample_report, variants
from ..domain.verify_pages import REVOKED, VALID, VerificationPage, served_by_folder
from ..effects import ActionFailed
from ..errors import ConfigError, ServiceUnavailable, StopRun
from ..ports import Finding
from . import forum as forum_job
from . import mail_jobs
from .base import JobResult


def _findings(lines: list[Line]) -> list[Finding]:
    return [Finding(line.ok, line.text, blocking=line.blocking) for line in lines]


def certificates(ctx: Context, store_ready: bool = True) -> list[Finding]:
    """The certificate fonts and images are there, and the event attendee lists can be read (when the store
    has its tables). A missing one stops only the certificates job, so the finding does not block the others."""
    missing = ctx.makers.certificates.check()
    if missing:
        return [Finding(False, f"certificates: {'; '.join(missing)}.", blocking=False)]
    if not store_ready:
        return [Finding(True, "certificates: fonts, logo and signature image found.")]
    attendees, problems = ctx.stores.attendees.read()
    return [Finding(True, f"certificates: fonts, logo and signature image found; {len(attendees)} event attendee "
                          f"lines in {ctx.stores.attendees.where}"
                          f"{f', {len(problems)} unusable (the certificates job lists them)' if problems else ''}.")]


def go_live(config: Config) -> list[Finding]:
    """The example's placeholders still in the configuration (`domain.golive`)."""
    images = {}
    for key, path in (("certificates.signature_image", config.certificates.signature_image),
                      ("certificates.logo", config.certificates.logo)):
        with contextlib.suppress(OSError):  # a missing image: the certificates' own line says so
            images[key] = golive.image_digest(config.path(path).read_bytes())
    return _findings(golive.placeholders(config.model_dump(mode="json", exclude={"base_dir"}), images))


def templates(ctx: Context) -> list[Finding]:
    """Every email template rendered with sample data, in every language it has (subject, text and HTML),
    through the jobs' renderer; each fault once, naming the file, the line and the name."""
    folder = ctx.mail.settings.templates_dir
    missing = [f"{job}.{part}" for job in MESSAGE_JOBS for part in ("subject.txt", "txt", "html")
               if not (folder / f"{job}.{part}").is_file()]
    if missing:
        return [Finding(False, f"the email templates in {folder} lack {', '.join(missing)}.")]
    faults = ctx.mail.renderer.check({job: list(variants(job)) for job in MESSAGE_JOBS})
    catalogs = ctx.mail.renderer.catalogs
    # A catalog staff are still writing is not an error: its language's recipients get English until it is done.
    waiting = [Finding(False, f"the mail's {lang} catalog ({catalogs.folder / lang / 'LC_MESSAGES' / 'messages.po'}) "
                              f"has {done} of {total} strings translated (none fuzzy counts): until all are, "
                              f"mail to {lang} readers goes in English.", blocking=False)
               for lang, (done, total) in sorted(catalogs.incomplete().items())]
    if not faults:
        languages = sorted({lang for job in MESSAGE_JOBS for lang in ctx.mail.renderer.languages(job)} - {"en"})
        also = f" (in English and {', '.join(languages)})" if languages else ""
        return [Finding(True, f"email templates in {folder}: all {len(MESSAGE_JOBS)} messages{also} render with "
                              f"sample data: a subject, a text and an HTML part."), *waiting]
    out = list(waiting)
    for f in faults:
        line = f", line {f.line}" if f.line else ""
        used = f" (used by {f.message}{'' if f.language == 'en' else f', {f.language}'})" if f.message else ""
        out.append(Finding(False, f"email template {folder / f.template}{line}{used}: {f.reason}: a message that "
                                  f"comes to it fails to send; correct the template (a name no message gives is a "
                                  f"typo, or needs {{% if x is defined %}})."))
    return out


def dkim(ctx: Context) -> list[Finding]:
    """With `mail.dkim_selector`: the key in the environment reads as an RSA key, and the DNS TXT record to publish
    for it (its public half); a missing or bad key is a FAIL line naming the variable, never showing the key."""
    signer = ctx.mail.signer
    if signer is None:
        return []
    try:
        record = signer.dns_record()
    except ConfigError as exc:
        return [Finding(False, str(exc))]
    out = [Finding(True, f"DKIM: every message is signed as {signer.name} (RSA, {signer.bits} bits, relaxed/relaxed); "
                         f"publish this TXT record in DNS (docs/mail.md#dkim-signing): {record}")]
    sender = ctx.mail.sender.domain.lower()
    if sender != signer.domain and not sender.endswith("." + signer.domain):
        out.append(Finding(False, f"DKIM: messages come from {sender} but are signed by {signer.domain}: receivers "
                                  f"checking DMARC see no signature of the sender's domain (leave mail.dkim_domain "
                                  f"empty, or set it to {sender} or a parent of it).", blocking=False))
    return out


def documents(ctx: Context) -> list[Finding]:
    """The review document's template (local documents) and the report's templates, filled with sample data."""
    out = []
    render = getattr(ctx.makers.drafter, "render", None)  # the local HTML drafter; a Google Docs template is checked when copied
    if render is not None:
        try:
            render(review_document_fields(ctx.as_of, ctx.settings.blog), ctx.settings.blog.reviewers)
            template = getattr(ctx.makers.drafter, "template", "")  # the local drafter's template file
            out.append(Finding(True, f"review document template {template}: fills with sample data."))
        except ActionFailed as exc:
            out.append(Finding(False, f"{exc}: every review document would fail; correct the template."))
    # The latest ended quarter's report twice: while its check-in window is open (provisional) and once it closed
    # (final), so both sides of the templates' `{% if r.final %}` are filled.
    quarter, window = latest_ended(ctx.as_of), ctx.settings.rules.window_days
    reports = [sample_report(day, ctx.settings.rules, ctx.settings.funding, ctx.settings.report)
               for day in (quarter.end + timedelta(days=1), quarter.window_closes(window) + timedelta(days=1))]
    jinja = [r for r in ctx.makers.report_renderers if r.name == "Jinja2"]
    bad = []
    for renderer in jinja:
        try:
            for report in reports:
                renderer.render(report)
        except ActionFailed as exc:
            bad.append(Finding(False, f"{exc}: {renderer.filename} would not be written; correct the template."))
    if jinja and not bad:
        out.append(Finding(True, f"report templates {', '.join(r.filename for r in jinja)}: render."))
    return out + bad + verification_pages(ctx)


def verification_pages(ctx: Context) -> list[Finding]:
    """The templates of the pages `credentials publish` writes, filled with a sample credential, valid and revoked,
    and the front page (only where credentials are set up)."""
    signer = ctx.makers.credentials
    pages = getattr(signer, "pages", None)
    if signer is None or pages is None:
        return []
    # As the program's base URL makes them, and as the other form does (a verifier service's "=" or "#" ending:
    # the pages without the folder's links), so both sides of the templates' conditions are filled.
    issuers = [signer.issuer, Issuer(signer.issuer.name, "https://verifier.example/?id=" if served_by_folder(
        signer.issuer.base_url) else "https://ambassadors.example/verify/")]
    try:
        for issuer in issuers:
            for status in (VALID, REVOKED):
                sample = VerificationPage("00000000-0000-4000-8000-000000000000", YEARLY, "Certificate of service",
                                          "Three years of service as an ambassador", ctx.as_of, status)
                pages.page(sample, issuer, ctx.as_of)
            pages.index(issuer, ctx.as_of)
    except ActionFailed as exc:
        return [Finding(False, f"{exc}: credentials publish would write no page; correct the template.")]
    return [Finding(True, f"verification page templates in {pages.folder}: render.")]


def _migration(config: Config) -> list[Finding]:
    """A FAIL line while a migrate into this store, or an erase, is unfinished (the jobs stop until it is run
    again)."""
    bootstrap.unfinished_migration(config)
    bootstrap.unfinished_erase(config)
    return []


def erasable(ctx: Context) -> list[Finding]:
    """The fields `erase` cannot rewrite (a lookup, a formula, a linked record, a collaborator...) where it would
    change a person's data: said, without stopping anything (erase names them again, to be erased by hand)."""
    out = []
    for t in ctx.privacy.tables:
        fixed = [f"'{title}' ({where})" for title, where in t.store.fixed(t.table).items()
                 if where and t.rule.rewrites(title)]
        if fixed:
            s, them = ("s", "them") if len(fixed) > 1 else ("", "it")
            out.append(Finding(False, f"{t.table} ({t.rule.what}): `erase` cannot rewrite the field{s} "
                                      f"{'; '.join(fixed)}: a person's data there stays after `erase`, which names "
                                      f"{them} for staff to erase by hand where the data lives.", blocking=False))
    return out


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _print(line: str, err: bool = False) -> None:
    print(line, file=sys.stderr if err else sys.stdout)


def run(inputs: bootstrap.DoctorInputs, echo: Callable[[str, bool], None] = _print) -> JobResult:
    """Each passing check is a line on stdout; each failing one (FAIL) a line on stderr. `inputs` loads the
    configuration and builds the run's context when asked (`bootstrap.for_doctor`): a configuration that
    does not load is doctor's first FAIL line, not a crash."""
    result = JobResult("doctor")
    findings: list[Finding] = []

    def say(f: Finding) -> None:
        findings.append(f)
        # FAIL stops the jobs (or going live); warn is worth a look and stops nothing.
        echo(f"{'ok  ' if f.ok else 'FAIL' if f.blocking else 'warn'} {f.text}", not f.ok)

    def check(what: Callable[[], list[Finding]]) -> bool:
        """Say each finding; a check that cannot go on is its one FAIL line (False)."""
        try:
            for f in what():
                say(f)
        except (StopRun, ServiceUnavailable) as exc:
            say(Finding(False, str(exc)))
            return False
        return True

    try:
        config = inputs.config()
    except ConfigError as exc:  # a wrong key or value (an address, a transport that cannot send): its FAIL line
        say(Finding(False, str(exc)))
        raise StopRun("doctor found 1 problem that stops the jobs (the FAIL line); nothing else can be checked "
                      "until the configuration loads.") from None
    say(Finding(True, f"configuration {inputs.path} is valid (backend {config.backend}, time zone "
                      f"{config.program.timezone})."))
    ctx = inputs.context(config)
    store_seen = check(ctx.stores.admin.check)
    check(lambda: _migration(config))

    def lacking(roles: tuple[str, ...]) -> list[str]:
        """The tables of these roles the store lacks (the whole store, when it could not be looked at)."""
        return ctx.stores.admin.lacks(roles) if store_seen else ["the store"]
    check(lambda: go_live(config))
    for more in ctx.stores.checks:  # the Google key and sign-in, when the configuration uses Google
        check(more.check)

    def roster() -> list[Finding]:
        ambassadors, problems = ctx.stores.roster.read()
        result.problems.extend(problems)
        dates = _findings(roster_lines(problems, config.ambassadors.fields))
        said = _findings(golive.roster_lines(ambassadors, len(problems), ctx.stores.roster.where))
        if not ambassadors:
            return said + dates
        return [Finding(True, f"roster {ctx.stores.roster.where}: {len(ambassadors)} ambassadors"
                              f"{f', {len(problems)} rows unusable (listed below)' if problems else ''}.")] + said + dates

    def responses() -> list[Finding]:
        """The form's shape as the header shows it, and every timestamp and date of the source read."""
        headers, rows = ctx.stores.checkins.read()
        known = None  # without a roster to read, the roster's own finding says why
        if not lacking(("ambassadors",)):
            with contextlib.suppress(StopRun, ServiceUnavailable):
                known = {a.email for a in ctx.stores.roster.read()[0]}
        lines = check_responses(headers, rows, ctx.settings.form, ctx.stores.checkins.where, getattr(ctx.stores.checkins, "told", ("", "")),
                                known, ctx.settings.guards.max_unusable_share)
        return _findings(lines)

    def funding() -> list[Finding]:
        requests, problems = ctx.stores.funding.read()
        unusable = f", {len(problems)} rows unusable (the funding job lists them)" if problems else ""
        return [Finding(True, f"funding requests {ctx.stores.funding.where}: {len(requests)} requests{unusable}.")]

    def conduct() -> list[Finding]:
        # The register's content is never shown here: only that it can be read, and who may read it.
        ctx.stores.conduct.read()
        readers = len(ctx.settings.conduct_readers)
        return [Finding(True, f"conduct register {ctx.stores.conduct.where}: readable; {readers} reader"
                              f"{'s' if readers != 1 else ''} in conduct.readers, entries kept "
                              f"{ctx.settings.conduct_retention_days} days.")]

    def referrals() -> list[Finding]:
        inquiries, problems = ctx.stores.referrals.read()
        answers, bad = ctx.stores.answers.read()
        waiting = sum(1 for i in inquiries if i.status in ("new", "offered"))
        many = f"{len(inquiries)} inquir{'y' if len(inquiries) == 1 else 'ies'}"
        return [Finding(True, f"referral inquiries {ctx.stores.referrals.where}: {many}, {waiting} "
                              f"open{f', {len(problems)} rows unusable (the referrals job lists them)' if problems else ''}"
                              f"; answers {ctx.stores.answers.where}: {len(answers)}"
                              f"{f', {len(bad)} unusable' if bad else ''}.")]

    # Each check of what the store holds runs when the store has its tables; the others wait for them.
    waiting: dict[str, list[str]] = {}
    for what, roles, run_it in (
            ("the roster", ("ambassadors",), roster),
            ("the referral inquiries", ("referral_inquiries",), referrals),
            ("the funding requests", ("funding_requests",), funding),
            ("the conduct register", ("conduct_register",), conduct),
            # an erased person's rows are found through the store's mail ledger
            ("the check-in responses", ("mail_ledger",), responses),
            ("the event attendee lists", ("event_attendees",), None)):  # read with the certificates, below
        missing = lacking(roles)
        if missing:
            waiting[what] = missing
        elif run_it is not None:
            check(run_it)
    if store_seen:
        check(lambda: erasable(ctx))
    if waiting and not store_seen:
        say(Finding(False, f"{_joined(list(waiting))} are not read until the store answers (the FAIL line above "
                           f"says why; then run `doctor` again).", blocking=False))
    elif waiting:
        fix = "run `init` to make a missing table, or do what the FAIL lines above say" \
            if config.backend == "airtable" else "the FAIL line above says how"
        say(Finding(False, f"not read until the store has their tables ({fix}; then run `doctor` again): "
                           f"{_joined([f'{what} ({_joined(tables)})' for what, tables in waiting.items()])}.",
                    blocking=False))
    say(Finding(True, f"mail transport {ctx.mail.settings.summary}."))
    check(lambda: dkim(ctx))
    if not lacking(("mail_ledger",)):  # mail that went from the local folder and that the base does not know
        check(lambda: [Finding(False, stop)] if (stop := mail_jobs.left_behind(ctx)) else [])
    check(lambda: templates(ctx))
    check(lambda: documents(ctx))
    check(lambda: certificates(ctx, "the event attendee lists" not in waiting))
    check(lambda: forum_job.findings(ctx))
    for u in ctx.usage:
        echo(f"     {u.line()}", False)
    bad = [f for f in findings if not f.ok and f.blocking]
    if bad:
        many = len(bad) > 1
        raise StopRun(f"doctor found {len(bad)} problem{'s' if many else ''} that stop{'' if many else 's'} the jobs or "
                      f"going live (the FAIL line{'s' if many else ''}).")
    result.summary = [f.text for f in findings]
    return result
