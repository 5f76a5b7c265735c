"""Time as a value passed in: the rules never read the system clock themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol


class Clock(Protocol):
    """Where the current moment comes from; the school's date is local, moments are aware."""

    def now(self) -> datetime:
        """The current moment, time-zone aware."""

    def today(self) -> date:
        """The school's date now, in the school's time zone."""


@dataclass
class FixedClock:
    """A clock that stands still until moved: for tests and for replaying."""

    moment: datetime
    tz: tzinfo = field(default=UTC)

    def __post_init__(self) -> None:
        if self.moment.tzinfo is None:
            self.moment = self.moment.replace(tzinfo=self.tz)

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.astimezone(self.tz).date()

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)
