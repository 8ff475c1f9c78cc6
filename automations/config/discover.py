"""The `discover` section: how the feeds and forum posts ambassadors declared are read (the columns are
`ambassadors.fields.feeds` and `ambassadors.fields.forum_handle`; the form's pre-fill ids are
`checkin_form.prefill_entries`)."""

from __future__ import annotations

from pydantic import Field

from .checks import Strict


class DiscoverConfig(Strict):
    # Seconds to wait for a feed's host to connect, and then for each part of its answer.
    timeout_seconds: float = Field(10, gt=0, le=120)
    # The largest feed read (bytes): a larger one is refused, as a data problem of its ambassador.
    max_bytes: int = Field(2_000_000, ge=10_000, le=50_000_000)
    # Requests a second to any one host (a blog's, YouTube's, Medium's, the forum's), whoever's feeds they are.
    requests_per_second_per_host: float = Field(2, gt=0, le=10)
    # Pages of 30 forum posts read per ambassador and run at most (newest first; older ones were read before).
    forum_pages: int = Field(5, ge=1, le=50)
    # The User-Agent sent; empty: "<program.name> automations (<program.support_email>)".
    user_agent: str = ""
    # Read feeds on loopback, private, link-local and reserved addresses too (a test, an intranet). Off: such an
    # address, declared or redirected to, is never requested (a data problem of the feed's ambassador).
    allow_private_addresses: bool = False
