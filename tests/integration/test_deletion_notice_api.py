"""Issue 28, honest deletion, over HTTP on the emulators: a completed erasure says where deleted data remains and
until when, the request list carries the same deployed values for the privacy centre, and the export's README
states them. Locally the values are the settings' defaults (main.bicep's: 7 days each)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from tests.integration.conftest import Stack, User, add_member
from tests.integration.test_data_requests_api import completed, export


def test_erasure_answer_list_and_readme_state_what_remains(api: httpx.Client, stack: Stack, owner: User) -> None:
    member = add_member(api, owner)
    listed = api.get("/me/data-requests", headers=member.auth)
    assert listed.status_code == 200, listed.text
    notice = listed.json()["deletion"]
    days = (stack.settings.blob_soft_delete_days, stack.settings.cosmos_backup_retention_days)
    assert (notice["blobSoftDeleteDays"], notice["backupRetentionDays"]) == days
    assert f"for {days[0]} days (storage soft delete)" in notice["text"]

    readme = export(api, member).read("README.txt").decode()
    assert notice["text"] in readme

    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    assert r.status_code == 202, r.text
    done = completed(api, member, r.json()["requestId"])
    copies = {c["where"]: c for c in done["residualCopies"]}
    assert set(copies) == {"photo-files-soft-delete", "database-backup"}
    finished = datetime.fromisoformat(done["completedAt"])
    assert datetime.fromisoformat(copies["photo-files-soft-delete"]["until"]) == finished + timedelta(days=days[0])
    assert datetime.fromisoformat(copies["database-backup"]["until"]) == finished + timedelta(days=days[1])
