"""The `google` section: the service account, its endpoints and how requests are retried."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from .checks import Strict, env_name


class GoogleEndpoints(Strict):
    """Where each Google API is reached; empty: Google itself. Set for tests or a proxy."""

    sheets: str = ""
    forms: str = ""
    drive: str = ""
    docs: str = ""
    gmail: str = ""


class GoogleConfig(Strict):
    # The service-account key file (its shape: credentials.example.json); a relative path is read from
    # the config file's folder. The environment variable named by credentials_env, when set, wins.
    credentials_file: Path = Path("credentials.json")
    credentials_env: Annotated[str, env_name("GOOGLE_APPLICATION_CREDENTIALS", required=False)] = \
        "GOOGLE_APPLICATION_CREDENTIALS"
    # Domain-wide delegation: the user the service account acts as (needed for Gmail; empty: itself).
    subject: str = ""
    endpoints: GoogleEndpoints = GoogleEndpoints()
    # Tries per request on a 429 or a 5xx, then the run stops (exit 1).
    max_attempts: int = Field(5, ge=1, le=20)
    retry_backoff_seconds: float = Field(2, ge=0)
    timeout_seconds: float = Field(60, gt=0)
