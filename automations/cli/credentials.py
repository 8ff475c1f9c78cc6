"""`credentials publish` (the static folder anyone verifies against) and `credentials verify FILE` (offline)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..adapters.credentials import verify as verify_credential
from ..jobs import credentials as credentials_job
from .base import Options, _run_job, cli, global_options
from .output import echo


@cli.group("credentials")
def credentials() -> None:
    """Verifiable credentials of certificates (Open Badges 3.0, signed with the program's Ed25519 key)."""


@credentials.command("publish")
@global_options
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The folder to write: the issuer profile, the public key (JWK), the revocation status list, "
                   "each credential's verification page (UUID/index.html) and a front page.")
@click.pass_obj
def publish(opts: Options, folder: Path) -> None:
    """Write the folder to put on a static host at certificates.verify_base_url; credentials of ambassadors marked
    removed are revoked in its status list, and each credential's page (the one its QR code opens) says so.

    Each file is written only when its bytes change; the pages of credentials no longer in the mail ledger (an
    erased person's) are taken away, and nothing else in the folder is touched."""
    _run_job(opts, lambda ctx: credentials_job.publish(ctx, folder))


@credentials.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--published", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True,
              help="The published folder (a copy of it): its jwk.json, and its status.jwt when present.")
@click.option("--email", metavar="ADDRESS", default="",
              help="Also check that the credential was issued to this address (its salted hash).")
def verify(file: Path, published: Path, email: str) -> None:
    """Check one credential (FILE, the .jwt attached to a certificate) offline: exit 0 valid, 1 not valid, 2 when
    the file or the published key cannot be read (nothing checked)."""
    try:
        token = file.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        echo(f"The credential {file} cannot be read ({exc.__class__.__name__}): nothing was checked.")
        sys.exit(2)
    verdict = verify_credential(token, published, email)
    echo(verdict.why)
    sys.exit(0 if verdict.valid else 1 if verdict.checked else 2)
