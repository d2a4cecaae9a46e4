"""Optional first-party analytics: page views, kept minimally (docs/privacy-signals.md).

An event is stored only when the person chose to allow optional analytics and no Global Privacy Control signal is
present; the rule is `decide(...)`, applied by the API whatever the portal did. What is kept: the UTC day and time,
the page path without query string or fragment (ids in it replaced by placeholders), the browser and
operating-system families and the client's network (truncated address, core/domain/client_summary.py); for a
signed-in person also their account and user id, so the event is in their export and goes with an erasure.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from core.domain.accounts import ApiModel, PublicModel
from core.domain.inputs import SINGLE_LINE

DOC_TYPE = "page-view"
MAX_PATH = 200
_WORD = re.compile(r"^[a-z][a-z-]{0,39}$")
_ID_AFTER = {"members": "{userId}", "invitations": "{token}"}  # the portal's routes that carry an id


class Decision(StrEnum):
    RECORDED = "recorded"
    NO_CONSENT = "no-consent"
    GLOBAL_PRIVACY_CONTROL = "global-privacy-control"


def gpc_signal(header: str | None) -> bool:
    """`Sec-GPC: 1` (the Global Privacy Control specification's only defined value) is an opt-out."""
    return (header or "").strip() == "1"


def decide(*, consent: bool, gpc: bool) -> Decision:
    """GPC overrides consent: with the signal on, nothing is recorded even after "Allow" was chosen."""
    if gpc:
        return Decision.GLOBAL_PRIVACY_CONTROL
    if not consent:
        return Decision.NO_CONSENT
    return Decision.RECORDED


def clean_path(raw: str) -> str:
    """The page path only: no scheme or host, no query string or fragment, and no ids (a segment after `members`,
    or any segment that is not a lower-case word, becomes a placeholder)."""
    path = raw.split("#", 1)[0].split("?", 1)[0]
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    segments = [s for s in path.split("/") if s]
    out: list[str] = []
    for index, segment in enumerate(segments[:10]):
        previous = segments[index - 1] if index else ""
        if previous in _ID_AFTER:
            out.append(_ID_AFTER[previous])
        elif _WORD.match(segment) or segment == ".well-known":
            out.append(segment)
        else:
            out.append("{id}")
    return ("/" + "/".join(out))[:MAX_PATH]


Path = Annotated[str, StringConstraints(min_length=1, max_length=2000), SINGLE_LINE]


class PageViewIn(ApiModel):
    path: Path = Field(
        description="The page's path (location.pathname); a query string, fragment or ids in it are not kept."
    )
    consent: bool = Field(
        description="True only when the person chose to allow optional analytics; false (or a"
        " `Sec-GPC: 1` request header) and nothing is recorded."
    )


class PageViewReceipt(PublicModel):
    recorded: bool
    decision: Decision = Field(description="recorded, no-consent, or global-privacy-control (the opt-out honoured)")


class PageView(BaseModel):
    """The stored form."""

    view_id: str
    day: str  # YYYY-MM-DD (UTC), the partition
    at: datetime
    path: str
    browser: str
    os: str
    network: str
    account_id: str | None = None
    user_id: str | None = None


class PageViewQuery(ApiModel):
    days: int = Field(default=30, ge=1, le=90, description="How many UTC days up to today to count (1-90).")


class Count(PublicModel):
    key: str
    count: int


class PageViewCounts(PublicModel):
    from_day: str = Field(alias="fromDay")
    to_day: str = Field(alias="toDay")
    total: int
    signed_in: int = Field(alias="signedIn", description="Views by a signed-in person (the rest were signed out).")
    by_day: list[Count] = Field(alias="byDay")
    by_path: list[Count] = Field(alias="byPath")
    by_browser: list[Count] = Field(alias="byBrowser")
    by_os: list[Count] = Field(alias="byOs")
    truncated: bool = Field(description="True when a day held more views than are counted per day.")
