"""Who may do what: the rights of the student registry (MR) user-request form, per area.

For each area a person is a *viewer* (peržiūrėtojas) or a *manager* (tvarkytojas), or has no
right there at all; a manager may also view. ``admin`` is separate: it manages accounts and
settings and reads the audit trail, and gives no right to pupils' data by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class Area(StrEnum):
    """The areas of the MR form, in its order, then the school's own canteen area."""

    PERSONAL_DATA = "personal_data"  # mokinio asmens duomenys (įregistravimas-koregavimas)
    LEARNING_DATA = "learning_data"  # mokinio mokymosi duomenys
    BLANKS = "blanks"  # blankų skirstymas
    CARDS = "cards"  # pažymėjimų formavimas ir spausdinimas
    BASKET = "basket"  # mokinio krepšelio skaičiavimas
    LISTS = "lists"  # sąrašų formavimas
    CANTEEN = "canteen"  # valgykla: meals, items, free meals, prepaid balances (school's own)


class Level(IntEnum):
    NONE = 0
    VIEWER = 1
    MANAGER = 2

    @classmethod
    def named(cls, name: str) -> Level:
        return cls[name.upper()]


@dataclass(frozen=True)
class Grants:
    """What one account holds."""

    levels: Mapping[Area, Level] = field(default_factory=dict)
    is_admin: bool = False

    def level(self, area: Area) -> Level:
        return self.levels.get(area, Level.NONE)

    @classmethod
    def everything(cls) -> Grants:
        return cls({area: Level.MANAGER for area in Area}, is_admin=True)


class Need(StrEnum):
    PUBLIC = "public"  # anyone, logged in or not (login page, health check)
    SIGNED_IN = "signed_in"  # any account (dashboard, own language)
    AREA = "area"  # a level in an area
    ADMIN = "admin"  # accounts, settings, audit trail


@dataclass(frozen=True)
class Rule:
    """What a page or action needs."""

    need: Need
    area: Area | None = None
    level: Level = Level.NONE

    def __post_init__(self) -> None:
        if (self.need is Need.AREA) != (self.area is not None and self.level > Level.NONE):
            raise ValueError("an area rule names its area and a level; other rules name neither")

    def permits(self, grants: Grants | None) -> bool:
        """True when an account with ``grants`` (None: not signed in) may pass."""
        if self.need is Need.PUBLIC:
            return True
        if grants is None:
            return False
        if self.need is Need.SIGNED_IN:
            return True
        if self.need is Need.ADMIN:
            return grants.is_admin
        assert self.area is not None
        return grants.level(self.area) >= self.level


PUBLIC = Rule(Need.PUBLIC)
SIGNED_IN = Rule(Need.SIGNED_IN)
ADMIN = Rule(Need.ADMIN)


def viewer(area: Area) -> Rule:
    return Rule(Need.AREA, area, Level.VIEWER)


def manager(area: Area) -> Rule:
    return Rule(Need.AREA, area, Level.MANAGER)
