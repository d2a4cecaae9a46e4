"""The local test clock's models (docs/test-clock.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.domain.accounts import ApiModel, PublicModel
from core.domain.inputs import ApiDatetime


class TestClockState(BaseModel):
    """What the test clock file holds: an offset from the real time, or a frozen instant (which wins)."""

    model_config = ConfigDict(frozen=True)
    __test__ = False  # not a pytest test class

    offset_seconds: float = 0.0
    frozen_at: AwareDatetime | None = None

    @field_validator("frozen_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None


# The range the test clock may be moved within: years the product can represent with room to spare.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class TestClockSet(ApiModel):
    """Move the app's clock: to an instant (`now`), or by an offset from the real time (`offsetSeconds`);
    `frozen` stops it there."""

    __test__ = False

    now: ApiDatetime | None = Field(default=None, description="The app's time from now on (RFC 3339, with offset)")
    offset_seconds: float | None = Field(
        default=None,
        alias="offsetSeconds",
        ge=-(LATEST - EARLIEST).total_seconds(),
        le=(LATEST - EARLIEST).total_seconds(),
        description="Seconds to add to the real time (negative: the past)",
    )
    frozen: bool = Field(default=False, description="Stop the clock at that time instead of letting it run")

    @model_validator(mode="after")
    def _exactly_one(self) -> TestClockSet:
        if (self.now is None) == (self.offset_seconds is None):
            raise ValueError("give exactly one of now and offsetSeconds")
        if self.now is not None and not EARLIEST <= self.now <= LATEST:
            raise ValueError("now must be between 2000-01-01 and 2100-01-01")
        return self


class TestClockView(PublicModel):
    __test__ = False

    now: datetime = Field(description="The app's time")
    system_now: datetime = Field(alias="systemNow", description="The real time")
    offset_seconds: float = Field(alias="offsetSeconds", description="The app's time minus the real time, in seconds")
    frozen: bool
