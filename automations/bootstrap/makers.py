"""What makes the run's files and reaches the forum: the report's and the certificates' renderers and the forum's
ambassadors group through Discourse."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

from ..adapters.credentials import KEY_NAME, REVOKED_NAME, CredentialSigner, signing_key
from ..adapters.render.certificate_pdf import Artwork, FpdfCertificateRenderer
from ..adapters.render.report_jinja import JinjaReportRenderer
from ..adapters.render.report_pdf import FpdfReportRenderer
from ..adapters.render.verify_pages_jinja import JinjaVerifyPages
from ..config import Config
from ..domain.credentials import Issuer
from ..mail.catalogs import Catalogs
from ..ports import ForumGroup, ReportRenderer, SourceReader
from .stores import pace_file


def forum_group(config: Config, environ: Mapping[str, str], clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], None] = time.sleep) -> ForumGroup | None:
    """The forum's ambassadors group through Discourse's API, or None when forum.url is empty. Nothing
    connects here; a missing key stops the forum job (and run-all) before it changes anything. Its requests keep
    to the forum's per-minute budget with every other process of this program on the machine (`pace_file`)."""
    f = config.forum
    if not f.url:
        return None
    from ..adapters.discourse.forum_group import DiscourseForumGroup, DiscourseSettings

    return DiscourseForumGroup(DiscourseSettings(
        url=f.url, group_name=f.group_name, api_username=f.api_username,
        api_key=environ.get(f.api_key_env, "").strip(), api_key_env=f.api_key_env,
        requests_per_minute=f.requests_per_minute, max_attempts=f.max_attempts, timeout_seconds=f.timeout_seconds),
        clock=clock, sleep=sleep, pace_file=pace_file(config))


def source_reader(config: Config, clock: Callable[[], float] = time.monotonic,
                  sleep: Callable[[float], None] = time.sleep) -> SourceReader:
    """What reads the feeds and forum posts ambassadors declared (`discover`). Nothing connects here."""
    from ..adapters.feeds.http_reader import HttpSourceReader, ReaderSettings

    d, p = config.discover, config.program
    agent = d.user_agent or f"{p.name} automations ({p.support_email})"
    return HttpSourceReader(ReaderSettings(agent, p.tz, config.forum.url, d.timeout_seconds, d.max_bytes,
                                           d.requests_per_second_per_host, forum_pages=d.forum_pages,
                                           allow_private_addresses=d.allow_private_addresses),
                            clock=clock, sleep=sleep)


def report_renderers(config: Config) -> tuple[ReportRenderer, ...]:
    """The report's files: the HTML page and the newsletter from the templates staff edit, the PDF with fpdf2."""
    folder = config.path(config.report.templates_dir)
    return (JinjaReportRenderer(folder, "report.html"), FpdfReportRenderer(), JinjaReportRenderer(folder, "newsletter.md"))


def certificate_renderer(config: Config) -> FpdfCertificateRenderer:
    c = config.certificates
    # The certificate's words come from the mail's catalogs (the `translations` folder beside the email templates).
    catalogs = Catalogs(config.path(config.mail.templates_dir).parent / "translations")
    return FpdfCertificateRenderer(Artwork(config.program.name, config.program.lead_name, c.lead_title,
                                           config.path(c.logo), config.path(c.signature_image)), catalogs=catalogs)


#: The templates shipped with the code (the repository's `templates/`).
SHIPPED_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def credential_signer(config: Config, create: bool) -> CredentialSigner:
    """The program's credentials signer: its Ed25519 key made once in local.dir/.credentials_key (owner only),
    read when first needed; a dry run without one signs with a key of its own and keeps nothing. The verification
    pages `publish` writes come from the templates in `credentials/` beside the email templates' folder."""
    issuer = Issuer(config.program.name, config.certificates.verify_base_url.strip())
    own = config.path(config.mail.templates_dir).parent / "credentials"
    # A program whose templates were copied before the verification pages existed has no credentials/ folder:
    # the pages come from the ones shipped with the code, so publish never fails for want of them.
    pages = JinjaVerifyPages(own if own.is_dir() else SHIPPED_TEMPLATES / "credentials")
    return CredentialSigner(issuer, lambda: signing_key(config.local_dir / KEY_NAME, create), pages,
                            config.local_dir / REVOKED_NAME)
