"""The data-sharing register (California Civil Code 1798.83) and the disclosure answer generated from it.

The register lists every disclosure of personal information to a third party for that party's own direct
marketing. Today the product makes none, so the register is empty; adding a disclosure here changes every
answer given from then on, for the calendar years the disclosure covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from core.domain.privacy import CaliforniaDisclosure, DisclosedParty, Disclosure

REGISTER: tuple[Disclosure, ...] = ()


def disclosures_in_year(register: Sequence[Disclosure], year: int) -> list[Disclosure]:
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    return [d for d in register if d.start < end and (d.end is None or d.end >= start)]


def california_disclosure(*, now: datetime, register: Sequence[Disclosure] = REGISTER) -> CaliforniaDisclosure:
    """The answer for the preceding calendar year, as the statute asks."""
    year = now.year - 1
    found = disclosures_in_year(register, year)
    parties: dict[str, set[str]] = {}
    for d in found:
        parties.setdefault(d.third_party, set()).update(d.categories)
    categories = sorted({c for cats in parties.values() for c in cats})
    if found:
        statement = (
            f"In {year} we disclosed the categories of personal information listed here to the third parties "
            "listed here, for their direct marketing purposes."
        )
    else:
        statement = (
            f"In {year} we did not disclose personal information to any third party for its direct marketing "
            "purposes: the lists of categories and third parties are empty."
        )
    return CaliforniaDisclosure(
        calendar_year=year,
        categories=categories,
        third_parties=[DisclosedParty(third_party=p, categories=sorted(c)) for p, c in sorted(parties.items())],
        statement=statement,
    )
