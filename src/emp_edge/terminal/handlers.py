"""Each terminal role's handler, built from the settings in force."""

from __future__ import annotations

from emp_edge.config import Settings
from emp_edge.domain.clock import Clock
from emp_edge.terminal.canteen import CanteenTill
from emp_edge.terminal.club import ClubAttendance
from emp_edge.terminal.roles import CardCheck, RoleHandler


def role_handlers(settings: Settings, clock: Clock) -> dict[str, RoleHandler]:
    """``canteen`` sells and serves; ``club`` marks attendance in the club room's open session;
    ``check`` confirms the card and whose it is."""
    till = CanteenTill(clock, settings.tz, settings["canteen.overdraft_limit_cents"])
    club = ClubAttendance(clock, settings.tz, settings["clubs.open_before_minutes"])
    return {"check": CardCheck(), "canteen": till, "club": club}
