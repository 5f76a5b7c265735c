"""Each terminal role's handler, built from the settings in force."""

from __future__ import annotations

from emp_edge.config import Settings
from emp_edge.domain.clock import Clock
from emp_edge.terminal.canteen import CanteenTill
from emp_edge.terminal.roles import CardCheck, RoleHandler


def role_handlers(settings: Settings, clock: Clock) -> dict[str, RoleHandler]:
    """``canteen`` sells and serves; ``club`` and ``check`` confirm the card and whose it is.

    Club attendance marks come with the clubs' own part; until then a club room's terminal
    confirms the card as ``check`` does.
    """
    check = CardCheck()
    till = CanteenTill(clock, settings.tz, settings["canteen.overdraft_limit_cents"])
    return {"check": check, "canteen": till, "club": check}
