"""Names shown for the rights: the areas and levels of the MR form, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.domain.access import Area, Level, Need, Rule
from emp_edge.domain.card_station import Recipient, Requester
from emp_edge.domain.cards import CardState, OtherEntryKind, ReplacementReason
from emp_edge.domain.taps import SimulatedCard, TapReason
from emp_edge.web.i18n import gettext

AREA_NAMES: dict[Area, LazyString] = {
    Area.PERSONAL_DATA: lazy_gettext("pupil personal data"),
    Area.LEARNING_DATA: lazy_gettext("learning data"),
    Area.BLANKS: lazy_gettext("blanks"),
    Area.CARDS: lazy_gettext("card personalisation and printing"),
    Area.BASKET: lazy_gettext("basket (funding) calculation"),
    Area.LISTS: lazy_gettext("lists"),
    Area.CANTEEN: lazy_gettext("canteen"),
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

#: who asked for a card (§20): the pupil (annex 1) or a parent, guardian or carer (annex 2)
REQUESTER_NAMES: dict[Requester, LazyString] = {
    Requester.PUPIL: lazy_gettext("the pupil"),
    Requester.PARENT: lazy_gettext("a parent"),
    Requester.GUARDIAN: lazy_gettext("a guardian"),
    Requester.CARER: lazy_gettext("a carer"),
}

#: who took the card and signed the journal (§43)
RECIPIENT_NAMES: dict[Recipient, LazyString] = {
    Recipient.PUPIL: lazy_gettext("the pupil"),
    Recipient.PARENT: lazy_gettext("a parent or guardian"),
    Recipient.CLASS_TEACHER: lazy_gettext("the class teacher"),
}

#: why a card is replaced (§37, §39)
REPLACEMENT_REASON_NAMES: dict[ReplacementReason, LazyString] = {
    ReplacementReason.SCHOOL_CHANGE: lazy_gettext("changed school within the municipality"),
    ReplacementReason.NAME_CHANGE: lazy_gettext("changed name or surname"),
    ReplacementReason.DAMAGED: lazy_gettext("damaged, unusable"),
    ReplacementReason.LOST: lazy_gettext("lost or otherwise missing"),
    ReplacementReason.INACCURATE_ENTRIES: lazy_gettext("inaccurate entries on the card"),
    ReplacementReason.CHIP_FAILURE: lazy_gettext("the chip does not work at the readers"),
    ReplacementReason.DEFECTIVE: lazy_gettext("faulty from the factory"),
    ReplacementReason.SPOILED_IN_PRINTING: lazy_gettext("spoiled in printing"),
}

#: what may be written under "Kiti įrašai" on the back of the card (§17)
OTHER_ENTRY_KIND_NAMES: dict[OtherEntryKind, LazyString] = {
    OtherEntryKind.PROGRAMME: lazy_gettext("the education programme followed"),
    OtherEntryKind.LEARNING_FORM: lazy_gettext("form of learning and its organisation"),
    OtherEntryKind.TRANSPORT_ROUTE: lazy_gettext("public transport route, stop to stop"),
    OtherEntryKind.RESIDENCE_MARK: lazy_gettext("dormitory, children's home or NVŠ school"),
    OtherEntryKind.SAFETY_NOTE: lazy_gettext("another note for the child's safety or rights"),
}

#: what became of a blank in the printer
BLANK_OUTCOME_NAMES: dict[str, LazyString] = {
    "printed": lazy_gettext("printed"),
    "spoiled": lazy_gettext("spoiled"),
    "not_printed": lazy_gettext("not printed, back in the stock"),
}

#: free-meal types (the canteen page and the pupil page)
MEAL_NAMES: dict[str, LazyString] = {
    "breakfast": lazy_gettext("breakfast"),
    "lunch": lazy_gettext("lunch"),
    "afternoon": lazy_gettext("afternoon meal"),
}

#: the registry's contract types of an NVŠ enrolment ("Dvišalės mokymo sutartys" …)
CONTRACT_TYPE_NAMES: dict[str, LazyString] = {
    "bilateral": lazy_gettext("bilateral learning contract"),
    "trilateral": lazy_gettext("trilateral learning contract"),
}

#: why a pupil left an NVŠ group (išvykimo priežastis), in domain.clubs.DEPARTURE_REASONS order
DEPARTURE_REASON_NAMES: dict[str, LazyString] = {
    "contract_ended": lazy_gettext("the learning contract was ended"),
    "own_wish": lazy_gettext("at the pupil's or the parents' wish"),
    "moved": lazy_gettext("moved away"),
    "health": lazy_gettext("for health reasons"),
    "finished": lazy_gettext("finished the programme"),
    "other": lazy_gettext("another reason"),
}

#: "NVŠ finansavimo pobūdis", as the registry names the kinds
FUNDING_KIND_NAMES: dict[str, LazyString] = {
    "basket": lazy_gettext("NVŠ targeted funding (the basket)"),
    "municipal": lazy_gettext("municipal funds"),
    "state": lazy_gettext("state funds"),
    "other": lazy_gettext("other funding"),
}

#: a funding mark's state as the registry last answered
MARK_STATE_TEXT: dict[str, LazyString] = {
    "local": lazy_gettext("not yet confirmed by the registry"),
    "accepted": lazy_gettext("accepted by the registry"),
    "rejected": lazy_gettext("rejected by the registry"),
}

#: what a kiosk screen says about a tap, one sentence a pupil understands at a glance
TAP_REASON_TEXT: dict[TapReason, LazyString] = {
    TapReason.OK: lazy_gettext("Card valid"),
    TapReason.READ_FAILED: lazy_gettext("Card could not be read — hold it still and try again"),
    TapReason.NO_APPLICATION: lazy_gettext("This is not a school ID card"),
    TapReason.OTHER_SCHOOL: lazy_gettext("Card of another school"),
    TapReason.NOT_GENUINE: lazy_gettext("Card not genuine — it may be a copy"),
    TapReason.RECORD_INVALID: lazy_gettext("The card's data are damaged — ask the office"),
    TapReason.RECORD_MISMATCH: lazy_gettext(
        "The card's data do not match the school's records — ask the office"
    ),
    TapReason.UNKNOWN_CARD: lazy_gettext("Unknown card"),
    TapReason.NOT_ISSUED: lazy_gettext("Card not issued yet"),
    TapReason.NO_VALIDITY: lazy_gettext("The card has no validity date — ask the office"),
    TapReason.EXPIRED: lazy_gettext("Card expired"),
    TapReason.RETURNED: lazy_gettext("Card returned — it is no longer valid"),
    TapReason.REPLACED: lazy_gettext("Card replaced — this card is blocked"),
    TapReason.DESTROYED: lazy_gettext("Card destroyed — it is no longer valid"),
    TapReason.CANCELLED: lazy_gettext("Card request withdrawn — this card is not valid"),
    TapReason.PUPIL_LEFT: lazy_gettext("The pupil has left the school"),
    TapReason.NOTE_PENDING: lazy_gettext("Staff: confirm the last pupil's diet note first"),
    TapReason.NO_SERVING_NOW: lazy_gettext("No meal is served now"),
    TapReason.NOTHING_PICKED: lazy_gettext("Nothing picked, and this meal has no default item"),
    TapReason.ITEM_UNAVAILABLE: lazy_gettext("A picked item is no longer sold"),
    TapReason.ITEM_NOT_ALLOWED: lazy_gettext("A parent asked us not to sell this item"),
    TapReason.ALREADY_SERVED: lazy_gettext("The free meal was already served today"),
    TapReason.DAILY_LIMIT: lazy_gettext("Daily spending limit reached"),
    TapReason.LOW_BALANCE: lazy_gettext("Not enough money on the card account"),
    TapReason.NO_SESSION: lazy_gettext("No club session is open here now"),
    TapReason.NOT_IN_GROUP: lazy_gettext("Not in this group — not marked"),
    TapReason.ALREADY_MARKED: lazy_gettext("Already marked present"),
}

#: the kinds of card the tap simulator can put on a reader
SIMULATED_CARD_NAMES: dict[SimulatedCard, LazyString] = {
    SimulatedCard.GENUINE: lazy_gettext("the pupil's genuine card"),
    SimulatedCard.CLONE: lazy_gettext("a copy of the card (same UID, no key)"),
    SimulatedCard.ALTERED: lazy_gettext("the card with its record altered"),
    SimulatedCard.OTHER_SCHOOL: lazy_gettext("a card of another school"),
    SimulatedCard.UNKNOWN: lazy_gettext("an unknown chip (a bank card, a bus ticket)"),
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
