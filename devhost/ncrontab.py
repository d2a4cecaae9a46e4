"""Six-field NCRONTAB schedules ({second} {minute} {hour} {day} {month} {day-of-week}), evaluated in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}


def _parse_field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        step = 1
        stepped = "/" in part
        if stepped:
            part, step_text = part.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ValueError(f"bad step in {text!r}")
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(part, names)
            end = high if stepped else start
        if start < low or end > high or start > end:
            raise ValueError(f"value out of range in {text!r}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    return int(text)


@dataclass(frozen=True)
class Schedule:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_any: bool
    weekdays_any: bool

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        fields = expression.split()
        if len(fields) != 6:
            raise ValueError(f"NCRONTAB needs 6 fields, got {len(fields)}: {expression!r}")
        sec, minute, hour, day, month, dow = fields
        weekdays = _parse_field(dow, 0, 7, _DAYS)
        return cls(
            seconds=_parse_field(sec, 0, 59),
            minutes=_parse_field(minute, 0, 59),
            hours=_parse_field(hour, 0, 23),
            days=_parse_field(day, 1, 31),
            months=_parse_field(month, 1, 12, _MONTHS),
            weekdays=frozenset(7 if d == 7 else d for d in weekdays) | ({0} if 7 in weekdays else set()),
            days_any=day in ("*", "?"),
            weekdays_any=dow in ("*", "?"),
        )

    def _day_matches(self, d: datetime) -> bool:
        if d.month not in self.months:
            return False
        dom = d.day in self.days
        dow = ((d.weekday() + 1) % 7) in self.weekdays  # Sunday = 0
        if self.days_any or self.weekdays_any:
            return dom and dow
        return dom or dow  # cron: both restricted means either may match

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after `moment` (UTC)."""
        start = moment.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        day = start.replace(hour=0, minute=0, second=0)
        for _ in range(366 * 5):
            if self._day_matches(day):
                for h in sorted(self.hours):
                    for m in sorted(self.minutes):
                        for s in sorted(self.seconds):
                            candidate = day.replace(hour=h, minute=m, second=s)
                            if candidate >= start:
                                return candidate
            day += timedelta(days=1)
        raise ValueError("schedule never fires")
