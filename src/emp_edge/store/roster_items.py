"""What a roster page from the registry brings, item by item, once read from the wire.

``sync.roster_wire`` makes these from the registry's JSON; ``store.roster_sync`` applies them.
Keys are the registry's stable ids (a programme's is its KTPRR code). An item that could not be
read travels as ``Unreadable`` and is skipped when the page is applied, with its reason.
Reasons are fixed English sentences (translated where shown) and never hold a name or a code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Final

#: the kinds of item the registry sends
KINDS: Final = ("class", "pupil", "meal_entitlement", "programme", "top_up")

#: how many skipped items a report keeps (their count is always whole)
SKIPPED_KEPT: Final = 200


@dataclass(frozen=True)
class RosterClass:
    kind: ClassVar[str] = "class"
    key: str
    school_year: int
    grade: int
    letter: str  # lower-case, "" when none
    label: str  # as the school writes it: 5b, IIa


@dataclass(frozen=True)
class RosterPupil:
    kind: ClassVar[str] = "pupil"
    key: str  # the pupil's registry id
    first_name: str
    last_name: str
    birth_date: date
    sex: str | None  # M, F or unknown
    personal_code: str | None = field(repr=False)  # only to match a pupil imported locally
    class_key: str | None


@dataclass(frozen=True)
class RosterEntitlement:
    kind: ClassVar[str] = "meal_entitlement"
    key: str
    pupil_key: str
    meal_type: str
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class RosterProgramme:
    kind: ClassVar[str] = "programme"
    key: str  # the KTPRR code, digits only
    name: str
    purpose: str
    directions: tuple[str, ...]  # sorted, each once


@dataclass(frozen=True)
class RosterTopUp:
    kind: ClassVar[str] = "top_up"
    key: str
    pupil_key: str
    amount_cents: int
    paid_on: date
    reference: str


@dataclass(frozen=True)
class Removed:
    """A tombstone: the registry deleted what it had under this key."""

    kind: str
    key: str


@dataclass(frozen=True)
class Unreadable:
    """An item the wire reader could not make sense of; ``field`` names the wire field."""

    kind: str
    key: str
    reason: str
    field: str = ""


RosterItem = (
    RosterClass
    | RosterPupil
    | RosterEntitlement
    | RosterProgramme
    | RosterTopUp
    | Removed
    | Unreadable
)


@dataclass(frozen=True)
class SkippedItem:
    """An item left out, and why: its kind, its key and a fixed reason (no personal data)."""

    kind: str
    key: str
    reason: str
    field: str = ""

    def as_dict(self) -> dict[str, str]:
        kept = {"kind": self.kind, "key": self.key, "reason": self.reason}
        if self.field:
            kept["field"] = self.field
        return kept


@dataclass
class Applied:
    """What applying roster items did. ``deleted`` counts removals and departures (a pupil
    removed upstream becomes inactive); ``kept`` counts tombstones of classes and programmes
    still in use here."""

    items: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    kept: int = 0
    skipped: int = 0
    skipped_items: list[SkippedItem] = field(default_factory=list)

    def skip(self, item: SkippedItem) -> None:
        self.skipped += 1
        if len(self.skipped_items) < SKIPPED_KEPT:
            self.skipped_items.append(item)

    def add(self, other: Applied) -> None:
        """Count another page's items in with these."""
        self.items += other.items
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        self.kept += other.kept
        self.skipped += other.skipped
        room = max(SKIPPED_KEPT - len(self.skipped_items), 0)
        self.skipped_items.extend(other.skipped_items[:room])

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "kept": self.kept,
            "skipped": self.skipped,
            "skipped_items": [item.as_dict() for item in self.skipped_items],
        }
