"""The coarsened history in the privacy registry (docs/coarsened-history.md): export, erasure, retention purge and
closure of the day markers and watermarks. Both name a member (user id), so both are personal data.

* `coarse-days`: one marker per member and UTC day reduced to coarse points. Exported as `coarse-days.json`, and
  the export's README names the days. Aged with the location retention, by the day's start (like the pings).
* `coarse-watermarks`: where the coarsening of a member stopped (a day). Not exported; kept while the account
  exists (like the pings purge's watermarks); deleted on erasure and with a closed account.
"""

from __future__ import annotations

import json
from typing import Any

from azure.cosmos import DatabaseProxy

from core import schema
from core.adapters.cosmos_coarse_history import MARKER_DOC_TYPE, WATERMARK_DOC_TYPE
from core.adapters.privacy_kinds import KeysetKind


class CoarseDayKind(KeysetKind):
    def __init__(self, database: DatabaseProxy) -> None:
        super().__init__(
            database,
            name="coarse-days",
            doc_type=MARKER_DOC_TYPE,
            user_field="user_id",
            export_file="coarse-days.json",
            container=schema.PRIVACY.name,
            retention="location",
            time_field="day_start_utc",
            description="The days of your location history reduced to coarse points (one point per"
            " 15 minutes at the centre of a cell of at least 1 km2): one record per day.",
        )

    def write_export(self, zf: Any, *, account_id: str, user_id: str) -> list[tuple[str, str]]:
        """`coarse-days.json`, and the days named in the README (the pings files hold coarse points, ids
        `coarse-HHMM`, on those days)."""
        days: list[str] = []
        with zf.open("coarse-days.json", "w") as out:
            out.write(b"[")
            for i, doc in enumerate(self.export(account_id=account_id, user_id=user_id)):
                days.append(str(doc.get("day")))
                out.write((b",\n" if i else b"") + _json(doc))
            out.write(b"]\n")
        listed = ", ".join(sorted(days)) if days else "none"
        return [("coarse-days.json", f"{self.description} Coarse days (UTC): {listed}.")]


def _json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, default=str, ensure_ascii=False).encode()


def coarse_history_kinds(database: DatabaseProxy) -> list[KeysetKind]:
    return [
        CoarseDayKind(database),
        KeysetKind(
            database,
            name="coarse-watermarks",
            doc_type=WATERMARK_DOC_TYPE,
            user_field="user_id",
            export_file=None,
            container=schema.PRIVACY.name,
            description="Where the coarsening of your location history stopped (a day).",
        ),
    ]
