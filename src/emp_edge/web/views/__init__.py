"""The pages, one blueprint per area; ``NAV`` is the menu, each entry shown only to those allowed.

Every view is marked with ``@needs(rule)`` (see ``web/access.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.domain.access import ADMIN, SIGNED_IN, Area, Rule, viewer
from emp_edge.web.views import (
    audit,
    canteen,
    canteen_accounts,
    canteen_setup,
    cards,
    clubs,
    dashboard,
    kiosk,
    pupils,
    settings,
    simulator,
    sync,
    till,
    users,
)

AREAS: tuple[Blueprint, ...] = (
    dashboard.blueprint,
    pupils.blueprint,
    cards.blueprint,
    simulator.blueprint,
    kiosk.blueprint,
    till.blueprint,
    canteen.blueprint,
    canteen_setup.blueprint,
    canteen_accounts.blueprint,
    clubs.blueprint,
    sync.blueprint,
    users.blueprint,
    settings.blueprint,
    audit.blueprint,
)


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: LazyString
    rule: Rule


NAV: tuple[MenuItem, ...] = (
    MenuItem("dashboard.index", lazy_gettext("Overview"), SIGNED_IN),
    MenuItem("pupils.index", lazy_gettext("Pupils"), viewer(Area.PERSONAL_DATA)),
    MenuItem("cards.index", lazy_gettext("Cards"), viewer(Area.CARDS)),
    MenuItem("canteen.index", lazy_gettext("Canteen"), viewer(Area.CANTEEN)),
    MenuItem("canteen_accounts.index", lazy_gettext("Canteen accounts"), viewer(Area.CANTEEN)),
    MenuItem("clubs.index", lazy_gettext("Clubs (NVŠ)"), viewer(Area.LEARNING_DATA)),
    MenuItem("sync.index", lazy_gettext("Sync"), SIGNED_IN),
    MenuItem("users.index", lazy_gettext("Users"), ADMIN),
    MenuItem("settings.index", lazy_gettext("Settings"), ADMIN),
    MenuItem("audit.index", lazy_gettext("Audit trail"), ADMIN),
)
