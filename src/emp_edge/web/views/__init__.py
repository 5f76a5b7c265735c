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
    card_blanks,
    card_issue,
    card_printing,
    card_requests,
    cards,
    club_enrolment,
    club_lists,
    club_report,
    club_screen,
    club_sessions,
    club_setup,
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
    card_blanks.blueprint,
    card_requests.blueprint,
    card_printing.blueprint,
    card_issue.blueprint,
    simulator.blueprint,
    kiosk.blueprint,
    till.blueprint,
    club_screen.blueprint,
    canteen.blueprint,
    canteen_setup.blueprint,
    canteen_accounts.blueprint,
    clubs.blueprint,
    club_sessions.blueprint,
    club_enrolment.blueprint,
    club_lists.blueprint,
    club_report.blueprint,
    club_setup.blueprint,
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
    MenuItem("club_sessions.mine", lazy_gettext("Club sessions"), SIGNED_IN),
    MenuItem("club_lists.index", lazy_gettext("NVŠ lists"), viewer(Area.LISTS)),
    MenuItem("club_report.month", lazy_gettext("NVŠ basket report"), viewer(Area.BASKET)),
    MenuItem("sync.index", lazy_gettext("Sync"), SIGNED_IN),
    MenuItem("users.index", lazy_gettext("Users"), ADMIN),
    MenuItem("settings.index", lazy_gettext("Settings"), ADMIN),
    MenuItem("audit.index", lazy_gettext("Audit trail"), ADMIN),
)
