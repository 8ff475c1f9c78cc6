"""The `certificates` section: yearly service and event attendance certificates."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from .checks import Strict


class CertificatesConfig(Strict):
    """The `certificates` job: yearly service certificates and event attendance certificates (PDFs by mail)."""

    # A certificate is due from its day (the anniversary, the event) for this many days; older ones are
    # never sent, so a first run on a running program does not send the certificates of years gone by.
    freshness_days: int = Field(30, ge=0, le=365)
    # The signer's role under program.lead_name, and the images on the certificate (PNG, JPEG or SVG).
    lead_title: str = "Program lead"
    signature_image: Path = Path("templates/certificates/signature.png")
    logo: Path = Path("templates/certificates/logo.svg")
    # Event attendee lists (local backend): one CSV per event in this folder of local.dir, named
    # "<YYYY-MM-DD> <event name>.csv", with Name and Email columns (on Airtable: the Event attendees table).
    attendees_dir: str = "attendees"
    # Verifiable credentials: the address the certificate's QR code opens is this followed by the credential's id
    # (its uuid), e.g. "https://ambassadors.example.org/verify/"; the folder `credentials publish` writes goes
    # where this address serves it. Empty: no QR code on the certificate, and the credential's ids are URNs.
    verify_base_url: str = ""
