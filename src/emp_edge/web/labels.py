"""Names shown for the rights: the areas and levels of the MR form, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.domain.access import Area, Level, Need, Rule
from emp_edge.domain.cards import CardState
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

#: a card's state as the school says it (the cards list and the pupil page)
CARD_STATE_NAMES: dict[CardState, LazyString] = {
    CardState.REQUESTED: lazy_gettext("requested"),
    CardState.PERSONALISED: lazy_gettext("personalised"),
    CardState.ISSUED: lazy_gettext("issued"),
    CardState.RETURNED: lazy_gettext("returned"),
    CardState.REPLACED: lazy_gettext("replaced"),
    CardState.EXPIRED: lazy_gettext("expired"),
    CardState.SPOILED: lazy_gettext("spoiled in printing"),
    CardState.DESTROYED: lazy_gettext("destroyed"),
    CardState.CANCELLED: lazy_gettext("request withdrawn"),
}

#: free-meal types (the canteen page and the pupil page)
MEAL_NAMES: dict[str, LazyString] = {
    "breakfast": lazy_gettext("breakfast"),
    "lunch": lazy_gettext("lunch"),
    "afternoon": lazy_gettext("afternoon meal"),
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
