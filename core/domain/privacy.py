"""Retention settings, legal holds, purge runs, account closure and data-subject requests.

Split by direction as elsewhere: request bodies (ApiModel), answers (PublicModel) and the stored forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from core.domain.accounts import ApiModel, PublicModel
from core.domain.inputs import MULTI_LINE, SINGLE_LINE

PLATFORM_PARTITION = "_platform"
ERASED_EMAIL_DOMAIN = "erased.invalid"  # an erased profile's address: reserved, never delivered

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500), MULTI_LINE]


# ---------------------------------------------------------------- retention settings


class RetentionSettings(BaseModel):
    """Stored per account. `None` for photos and notes means: kept until the account deletes them."""

    account_id: str
    location_days: int
    media_days: int | None = None
    access_log_days: int
    coarsen_after_days: int | None = None  # docs/coarsened-history.md; None: pings are kept precise
    updated_at: datetime | None = None
    updated_by: str | None = None


class RetentionUpdate(ApiModel):
    location_days: int | None = Field(default=None, alias="locationDays", ge=1)
    media_days: int | None = Field(
        default=None, alias="mediaDays", ge=1, description="Photos and notes; null keeps them until deleted."
    )
    access_log_days: int | None = Field(default=None, alias="accessLogDays", ge=1)
    coarsen_after_days: int | None = Field(
        default=None,
        alias="coarsenAfterDays",
        ge=1,
        description="Reduce location pings older than this many days to one point per 15 minutes in a cell of at"
        " least 1 km^2 (docs/coarsened-history.md); less than locationDays; null turns it off.",
    )


class RetentionLimits(PublicModel):
    location_min_days: int = Field(alias="locationMinDays")
    location_max_days: int = Field(alias="locationMaxDays")
    media_min_days: int = Field(alias="mediaMinDays")
    media_max_days: int = Field(alias="mediaMaxDays")
    access_log_min_days: int = Field(alias="accessLogMinDays")
    access_log_max_days: int = Field(alias="accessLogMaxDays")
    coarsen_min_days: int = Field(alias="coarsenMinDays")
    coarsen_max_days: int = Field(alias="coarsenMaxDays")


class RetentionPublic(PublicModel):
    account_id: str = Field(alias="accountId")
    location_days: int = Field(alias="locationDays")
    media_days: int | None = Field(alias="mediaDays")
    access_log_days: int = Field(alias="accessLogDays")
    coarsen_after_days: int | None = Field(default=None, alias="coarsenAfterDays")
    limits: RetentionLimits
    updated_at: datetime | None = Field(default=None, alias="updatedAt")


# ---------------------------------------------------------------- legal holds


class LegalHoldCreate(ApiModel):
    account_id: Annotated[str, StringConstraints(min_length=1, max_length=100), SINGLE_LINE] = Field(alias="accountId")
    user_id: Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE] | None = Field(
        default=None, alias="userId", description="Hold one member's data; omit to hold the whole account."
    )
    reason: Reason


class LegalHold(BaseModel):
    hold_id: str
    account_id: str
    user_id: str | None = None
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None = None
    lifted_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    def covers(self, user_id: str | None) -> bool:
        """An account hold covers everyone; a member hold covers that member's data only."""
        return self.active and (self.user_id is None or self.user_id == user_id)

    def to_public(self) -> LegalHoldPublic:
        return LegalHoldPublic.model_validate(self.model_dump())


class LegalHoldPublic(PublicModel):
    hold_id: str = Field(alias="holdId")
    account_id: str = Field(alias="accountId")
    user_id: str | None = Field(default=None, alias="userId")
    reason: str
    placed_by: str = Field(alias="placedBy")
    placed_at: datetime = Field(alias="placedAt")
    lifted_by: str | None = Field(default=None, alias="liftedBy")
    lifted_at: datetime | None = Field(default=None, alias="liftedAt")


class LegalHoldList(PublicModel):
    items: list[LegalHoldPublic]


# ---------------------------------------------------------------- purge runs


class PurgeCursor(BaseModel):
    """Where the purge's walk over the work index stopped (docs/privacy-and-retention.md, "The purge"): the last
    account whose turn ended, and how far this pass's enrolment sweep got. An account's own progress (kind and
    continuation) is kept in its index entry (`PurgeDue`), so the walk can leave an account part-way and come back.
    `current_account`, `kind_index` and `kind_continuation` are read from cursors saved before the index existed."""

    accounts_after: str | None = None
    current_account: str | None = None
    kind_index: int = 0
    kind_continuation: str | None = None
    enrol_after: str | None = None
    enrolled: bool = False
    updated_at: datetime | None = None


class PurgeDue(BaseModel):
    """One account in a work index (`privacy` container, partition `_purge-due` or `_coarsening-due`): the account
    has work for the purge (or the coarsening walk) from `due_at` on, for `reasons` (e.g. retention-shortened,
    hold-lifted, account-closed, retention). The purge keeps the account's progress here between turns."""

    account_id: str
    queue: str = "purge"
    due_at: datetime
    reasons: list[str] = Field(default_factory=list)
    kind_index: int = 0
    kind_continuation: str | None = None
    updated_at: datetime | None = None


class PurgeRun(BaseModel):
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    deleted: dict[str, int] = Field(default_factory=dict)
    held: dict[str, int] = Field(default_factory=dict)
    held_accounts: list[str] = Field(default_factory=list)
    accounts_finished: list[str] = Field(default_factory=list)
    complete_pass: bool = False
    gaps: list[str] = Field(default_factory=list)


class PurgeRunPublic(PublicModel):
    run_id: str = Field(alias="runId")
    started_at: datetime = Field(alias="startedAt")
    finished_at: datetime | None = Field(alias="finishedAt")
    deleted: dict[str, int]
    held: dict[str, int]
    held_accounts: list[str] = Field(alias="heldAccounts")
    complete_pass: bool = Field(alias="completePass")
    gaps: list[str]


class PurgeRunList(PublicModel):
    items: list[PurgeRunPublic]


# ---------------------------------------------------------------- closure


class ClosureRequest(ApiModel):
    confirm: Annotated[str, StringConstraints(min_length=1, max_length=1000), SINGLE_LINE] | None = Field(
        default=None, description="Omit to receive a confirmation phrase; send it back to close the account."
    )
    reason: Annotated[str, StringConstraints(max_length=500), MULTI_LINE] | None = None
    typed_name: Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE] | None = Field(
        default=None,
        alias="typedName",
        description="Optional typed confirmation: when given, it must be the account's `confirmationName` "
        "(GET .../closure), ignoring case and surrounding spaces, or nothing happens (422).",
    )


class ClosureRecord(BaseModel):
    """Kept after the account's personal data is purged: proof that and when the account was closed."""

    account_id: str
    closed_by: str
    closed_at: datetime
    reason: str | None = None
    retention_deadline: datetime
    users_closed: int = 0
    subscription: str = "pending"
    confirmation_email: str = "pending"
    personal_data_purged_at: datetime | None = None


class KeptData(PublicModel):
    """Data an erasure (or another removal) did not touch because a legal hold covers it."""

    kind: str = Field(description="The kind of data kept, or `all` when everything of yours is held.")
    reason: str = Field(description="Why: `legal-hold <hold id>`.")


class ClosurePublic(PublicModel):
    account_id: str = Field(alias="accountId")
    status: str
    confirmation_phrase: str | None = Field(default=None, alias="confirmationPhrase")
    closed_at: datetime | None = Field(default=None, alias="closedAt")
    retention_deadline: datetime | None = Field(default=None, alias="retentionDeadline")
    subscription: str | None = None
    confirmation_email: str | None = Field(default=None, alias="confirmationEmail")
    kept_after_closure: list[KeptCategory] = Field(default_factory=list, alias="keptAfterClosure")
    kept: list[KeptData] = Field(
        default_factory=list,
        description="Data the purge after the closure window keeps because a legal hold covers it: `all` (a hold on"
        " the whole account) or `member-data` (a hold on some members), with `legal-hold <hold id>`.",
    )


class KeptCategory(PublicModel):
    category: str
    reason: str
    days: int


class ClosureTerms(PublicModel):
    """What closing the account would do, read before deciding: nothing is changed by reading it."""

    account_id: str = Field(alias="accountId")
    status: str = Field(description="The account's status: active, suspended, closed ...")
    confirmation_name: str = Field(
        alias="confirmationName",
        description="The name to type to confirm: the company name, or the owner's full "
        "name for an account without one.",
    )
    members_losing_access: int = Field(
        alias="membersLosingAccess", description="Users of the account, the owner included, whose access ends."
    )
    closed_account_days: int = Field(
        alias="closedAccountDays",
        description="Days the personal data is kept after closure (for disputes) before it is purged.",
    )
    kept_after_closure: list[KeptCategory] = Field(
        alias="keptAfterClosure", description="What the law keeps longer, why and for how many days after closure."
    )


# ---------------------------------------------------------------- what remains after a deletion (issue 28)


class ResidualCopy(PublicModel):
    """Where data the app deleted may still exist for a while, out of the app's reach, and until when at the
    latest."""

    where: str = Field(description="photo-files-soft-delete or database-backup")
    what: str
    until: datetime = Field(description="The last of these copies is gone by then.")
    days: int


class DeletionNotice(PublicModel):
    """The deployed platform settings behind `ResidualCopy` (set from the Bicep parameters of the storage and
    Cosmos DB accounts), for the privacy centre."""

    blob_soft_delete_days: int = Field(alias="blobSoftDeleteDays")
    blob_versioning_enabled: bool = Field(alias="blobVersioningEnabled")
    backup_retention_days: int = Field(alias="backupRetentionDays")
    text: str


@dataclass(frozen=True)
class DeletionResidue:
    """What the platform keeps after the app deletes (settings BLOB_SOFT_DELETE_DAYS, BLOB_VERSIONING_ENABLED,
    COSMOS_BACKUP_RETENTION_DAYS, BLOB_VERSION_RETENTION_DAYS; docs/privacy-and-retention.md, "Deleted is not gone at once"). The defaults are
    main.bicep's."""

    blob_soft_delete_days: int = 7
    blob_versioning_enabled: bool = True
    backup_retention_days: int = 7
    # Earlier versions the app could not delete itself (a failed call) go by the lifecycle rule after this many days.
    blob_version_retention_days: int = 7

    def copies(self, deleted_at: datetime) -> list[ResidualCopy]:
        out: list[ResidualCopy] = []
        if self.blob_soft_delete_days > 0:
            versions = " and their earlier versions (deleted with them)" if self.blob_versioning_enabled else ""
            out.append(
                ResidualCopy(
                    where="photo-files-soft-delete",
                    what=f"Deleted photo files{versions} stay recoverable by the platform's operators in the storage"
                    " account's soft delete; nobody can read them through the app, and they cannot be purged early.",
                    until=deleted_at + timedelta(days=self.blob_soft_delete_days),
                    days=self.blob_soft_delete_days,
                )
            )
        if self.backup_retention_days > 0:
            out.append(
                ResidualCopy(
                    where="database-backup",
                    what="The database's continuous backup can restore the state of any moment of the last"
                    f" {self.backup_retention_days} days, deleted records included; it is used only to recover from"
                    " a disaster and is not readable by the app.",
                    until=deleted_at + timedelta(days=self.backup_retention_days),
                    days=self.backup_retention_days,
                )
            )
        return out

    def text(self) -> str:
        parts = ["Deleted is not gone at once."]
        if self.blob_soft_delete_days > 0:
            parts.append(
                f"Deleted photo files stay recoverable by the platform's operators for {self.blob_soft_delete_days}"
                " days (storage soft delete)"
                + (
                    "; their earlier versions, such as an original that still had its position before it was"
                    " removed, are deleted with them and stay only in that soft delete."
                    if self.blob_versioning_enabled
                    else "."
                )
            )
        if self.backup_retention_days > 0:
            parts.append(
                f"The database's continuous backup keeps every deleted record restorable for {self.backup_retention_days}"
                " days, for disaster recovery only."
            )
        parts.append("Neither copy is readable through the app, and neither can be purged earlier.")
        return " ".join(parts)

    def notice(self) -> DeletionNotice:
        return DeletionNotice(
            blob_soft_delete_days=self.blob_soft_delete_days,
            blob_versioning_enabled=self.blob_versioning_enabled,
            backup_retention_days=self.backup_retention_days,
            text=self.text(),
        )


# ---------------------------------------------------------------- data-subject requests


class DataRequestType(StrEnum):
    ACCESS = "access"
    ERASURE = "erasure"
    RECTIFICATION = "rectification"
    CALIFORNIA_DISCLOSURE = "california-disclosure"


class DataRequestStatus(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class DataRequestCreate(ApiModel):
    type: DataRequestType
    details: Annotated[str, StringConstraints(max_length=2000), MULTI_LINE] | None = Field(
        default=None, description="For rectification: what is wrong and what it should say."
    )


class KindProgress(BaseModel):
    """An erasure's progress in one kind of data: items handled so far, items of the requester still there (None:
    the kind cannot count them cheaply), whether the kind is done, and where its next page starts (never shown)."""

    kind: str
    erased: int = 0
    left: int | None = None
    finished: bool = False
    continuation: str | None = None

    def to_public(self) -> KindProgressPublic:
        return KindProgressPublic(kind=self.kind, done=self.erased, left=self.left, finished=self.finished)


class KindProgressPublic(PublicModel):
    kind: str
    done: int = Field(description="Items of this kind erased (or anonymized) so far.")
    left: int | None = Field(
        default=None, description="Items of yours of this kind still stored and due to go; null when not counted."
    )
    finished: bool = Field(description="True once nothing of yours of this kind is left to erase.")


class DataRequest(BaseModel):
    request_id: str
    account_id: str
    user_id: str
    requester_role: str | None = None
    type: DataRequestType
    status: DataRequestStatus = DataRequestStatus.RECEIVED
    details: str | None = None
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None = None
    export_blob: str | None = None
    download_url: str | None = None
    download_expires_at: datetime | None = None
    retained: list[KeptCategory] = Field(default_factory=list)
    erased: dict[str, int] = Field(default_factory=dict)
    disclosure: CaliforniaDisclosure | None = None
    outcome: str | None = None
    emailed: bool | None = None  # the answer's e-mail: True queued, False not sent, None not answered yet
    residual_copies: list[ResidualCopy] = Field(default_factory=list)
    step: int = 0  # erasure: the step the next queue message must carry (earlier ones are stale)
    progress: list[KindProgress] = Field(default_factory=list)
    kept: list[KeptData] = Field(default_factory=list)

    def to_public(self) -> DataRequestPublic:
        return DataRequestPublic(
            request_id=self.request_id,
            type=self.type,
            status=self.status,
            details=self.details,
            received_at=self.received_at,
            due_at=self.due_at,
            completed_at=self.completed_at,
            download_url=self.download_url,
            download_expires_at=self.download_expires_at,
            retained=self.retained,
            erased=self.erased,
            disclosure=self.disclosure,
            outcome=self.outcome,
            emailed=self.emailed,
            residual_copies=self.residual_copies,
            progress=[p.to_public() for p in self.progress],
            kept=self.kept,
        )


class DataRequestPublic(PublicModel):
    request_id: str = Field(alias="requestId")
    type: DataRequestType
    status: DataRequestStatus
    details: str | None = None
    received_at: datetime = Field(alias="receivedAt")
    due_at: datetime = Field(alias="dueAt")
    completed_at: datetime | None = Field(default=None, alias="completedAt")
    download_url: str | None = Field(default=None, alias="downloadUrl")
    download_expires_at: datetime | None = Field(default=None, alias="downloadExpiresAt")
    retained: list[KeptCategory] = Field(default_factory=list, description="What legal retention keeps, and why.")
    erased: dict[str, int] = Field(default_factory=dict, description="Items erased, per kind of data.")
    disclosure: CaliforniaDisclosure | None = None
    outcome: str | None = Field(
        default=None, description="The answer in words, for a record (the fields of this model say the same in parts)."
    )
    emailed: bool | None = Field(
        default=None,
        description="Whether an e-mail telling you the answer was queued (false: none could be sent, e.g. the address"
        " was erased); null until the request is answered.",
    )
    residual_copies: list[ResidualCopy] = Field(
        default_factory=list,
        alias="residualCopies",
        description="For a completed erasure: where deleted data may still exist, out of the app's reach, and until"
        " when at the latest (storage soft delete, database backup).",
    )
    progress: list[KindProgressPublic] = Field(
        default_factory=list,
        description="Erasure: per kind of data, items done and left; the request completes only when every kind"
        " is finished.",
    )
    kept: list[KeptData] = Field(
        default_factory=list, description="Erasure: data not erased because a legal hold covers it, and which hold."
    )


class DataRequestList(PublicModel):
    items: list[DataRequestPublic]
    deletion: DeletionNotice | None = Field(
        default=None, description="How long deleted data remains in soft delete and backups (the deployed settings)."
    )


class HeldKind(PublicModel):
    """One kind of personal data still held about the caller: how many items, and how long they are kept."""

    kind: str
    description: str
    items: int
    items_at_least: bool = Field(
        default=False, alias="itemsAtLeast", description="True when counting stopped early: there are more."
    )
    kept_days: int | None = Field(
        default=None,
        alias="keptDays",
        description="Each item is deleted this many days after it was recorded (the account's setting), or this "
        "many days after the account closed for what the law keeps; null: see `rule`.",
    )
    kept_until: datetime | None = Field(
        default=None,
        alias="keptUntil",
        description="The latest time the kind is kept, when it is fixed (a closed account's retention deadline, "
        "or the end of a legal period); null: it follows the account's retention while the account exists.",
    )
    rule: str = Field(description="How long the kind is kept, in words.")


class HeldData(PublicModel):
    """What is still held about the caller in their account, per kind: nothing of anyone else."""

    account_id: str = Field(alias="accountId")
    user_id: str = Field(alias="userId")
    access: str = Field(description="active, or why access ended: removed (also after leaving) or closed")
    account_closed_at: datetime | None = Field(default=None, alias="accountClosedAt")
    kinds: list[HeldKind]
    erasure_path: str = Field(default="/api/me/data-requests", alias="erasurePath")


class MembershipEnded(PublicModel):
    """The answer to leaving an account."""

    account_id: str = Field(alias="accountId")
    user_id: str = Field(alias="userId")
    status: str
    left_at: datetime = Field(alias="leftAt")
    held_data_path: str = Field(default="/api/me/held-data", alias="heldDataPath")


class DataRequestMessage(BaseModel):
    """Queue message: which request to process. Nothing personal travels on the queue."""

    account_id: str = Field(alias="accountId")
    request_id: str = Field(alias="requestId")
    step: int = Field(default=0, description="Erasure: which bounded step this message runs (0: the first).")

    model_config = {"populate_by_name": True}


# ---------------------------------------------------------------- California Civil Code 1798.83


class Disclosure(BaseModel):
    """One entry of the data-sharing register: personal information given to a third party for its marketing."""

    third_party: str
    categories: list[str]
    purpose: str
    start: datetime
    end: datetime | None = None


class DisclosedParty(PublicModel):
    third_party: str = Field(alias="thirdParty")
    categories: list[str]


class CaliforniaDisclosure(PublicModel):
    calendar_year: int = Field(alias="calendarYear")
    categories: list[str]
    third_parties: list[DisclosedParty] = Field(alias="thirdParties")
    statement: str


# ---------------------------------------------------------------- audit


class AuditEntry(BaseModel):
    entry_id: str
    account_id: str
    at: datetime
    actor: str
    action: str
    subject_user_id: str | None = None
    target: str | None = None
    outcome: str
    details: dict[str, Any] = Field(default_factory=dict)


class AdminAccountView(PublicModel):
    """What a platform administrator sees of a (possibly closed) account for a dispute."""

    account: dict[str, Any]
    members: list[dict[str, Any]]
    closure: dict[str, Any] | None = None
    holds: list[LegalHoldPublic]
    data: dict[str, int] = Field(description="Items still stored, per kind of data.")


ClosurePublic.model_rebuild()
DataRequest.model_rebuild()
DataRequestPublic.model_rebuild()


# ---------------------------------------------------------------- the personal-data registry's units of work


class ItemRef(BaseModel):
    """One stored item of personal data, enough to delete it: its document and any blobs that belong to it."""

    kind: str
    partition_key: str
    doc_id: str
    user_id: str | None = None
    blobs: list[tuple[str, str]] = Field(default_factory=list, description="(blob container, blob name) pairs")


class Page(BaseModel):
    items: list[ItemRef]
    continuation: str | None = None
