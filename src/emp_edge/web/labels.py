"""Names shown for the rights: the areas and levels of the MR form, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.domain.access import Area, Level, Need, Rule
from emp_edge.web.i18n import gettext

AREA_NAMES: dict[Area, LazyString] = {
    Area.PERSONAL_DATA: lazy_gettext("pupil personal data"),
    Area.LEARNING_DATA: lazy_gettext("learning data"),
    Area.BLANKS: lazy_gettext("blanks"),
    Area.CARDS: lazy_gettext("card personalisation and printing"),
    Area.BASKET: lazy_gettext("basket (funding) calculation"),
    Area.LISTS: lazy_gettext("lists"),
}

LEVEL_NAMES: dict[Level, LazyString] = {
    Level.NONE: lazy_gettext("no right"),
    Level.VIEWER: lazy_gettext("viewer"),
    Level.MANAGER: lazy_gettext("manager"),
}


def rule_text(rule: Rule) -> str:
    """What a refused page needed, as a sentence part: "manager of pupil personal data"."""
    if rule.need is Need.ADMIN:
        return gettext("administrator")
    if rule.need is Need.AREA and rule.area is not None:
        return gettext(
            "%(level)s of %(area)s", level=LEVEL_NAMES[rule.level], area=AREA_NAMES[rule.area]
        )
    return gettext("a signed-in account")
