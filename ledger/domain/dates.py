"""Dates as official statements give them: a year, a month or a day, or unknown.

A statement "in July 2025" is not known to have been made before the last day of
July, so for replay a date counts from the *end* of its period; output keeps the
precision the source gave.
"""

from __future__ import annotations

import calendar
import functools
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

_PATTERN = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")  # ASCII digits only
UNKNOWN = "unknown"


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date known to year, month or day precision (or not at all)."""

    year: int | None
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, value: Any) -> PartialDate:
        """Accept ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``unknown``, a bare year number or a date."""
        if type(value) is str:  # the usual case, first
            return _parse_text(value)
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, bool):
            raise ValueError("expected a date such as 2025, 2025-07 or 2025-07-15")
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError("expected a date such as 2025, 2025-07 or 2025-07-15")
        return _parse_text(value)

    @classmethod
    def _parse_text(cls, value: str) -> PartialDate:
        text = value.strip()
        if text.lower() == UNKNOWN:
            return cls(None)
        match = _PATTERN.match(text)
        if not match and not text.isascii() and any(c.isdigit() for c in text):
            raise ValueError(
                f"{value!r} is not a date: write it with the digits 0-9 (YYYY, YYYY-MM or YYYY-MM-DD)"
            )
        if not match:
            raise ValueError(
                f"{value!r} is not a date: use YYYY, YYYY-MM, YYYY-MM-DD or 'unknown'"
            )
        year, month, day = (int(g) if g else None for g in match.groups())
        if year < 1000:
            raise ValueError(f"{value!r} is not a date: year {year} is out of range")
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"{value!r} is not a date: month {month} does not exist")
        if day is not None:
            last = calendar.monthrange(year, month)[1]
            if not 1 <= day <= last:
                raise ValueError(
                    f"{value!r} is not a date: {calendar.month_name[month]} {year} "
                    f"has {last} days"
                )
        return cls(year, month, day)

    @property
    def known(self) -> bool:
        return self.year is not None

    @property
    def precision(self) -> str:
        if self.year is None:
            return UNKNOWN
        if self.month is None:
            return "year"
        if self.day is None:
            return "month"
        return "day"

    def start(self) -> dt.date | None:
        if self.year is None:
            return None
        return dt.date(self.year, self.month or 1, self.day or 1)

    def end(self) -> dt.date | None:
        """The last day of the period: from then on the date has certainly passed."""
        if self.year is None:
            return None
        if self.month is None:
            return dt.date(self.year, 12, 31)
        if self.day is None:
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return dt.date(self.year, self.month, self.day)

    def __str__(self) -> str:
        return self.text

    @functools.cached_property
    def text(self) -> str:
        """``2025``, ``2025-07``, ``2025-07-15`` or ``unknown``: written once per date (a parsed
        text's date is shared, and documents print their dates again and again)."""
        if self.year is None:
            return UNKNOWN
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text


# Dates repeat a lot in a big input (ten years hold 3,653 days): parse each text once.
# PartialDate is frozen, so the cached values can be shared; errors are not cached.
_parse_text = functools.lru_cache(maxsize=65536)(PartialDate._parse_text)


def parse_day(value: str) -> dt.date:
    """A full calendar date for a query (``--as-of``); partial dates count from their end."""
    date = PartialDate.parse(value)
    if not date.known:
        raise ValueError("a query date cannot be 'unknown'")
    end = date.end()
    assert end is not None
    return end
