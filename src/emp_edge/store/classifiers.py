"""The registry's NVŠ classifiers: directions, sub-directions, programme purposes, provider groups.

They ship with the edge as data (``nvs_classifiers.json``) and are written into the
``nvs_classifiers`` table after every migration run, so a new version's list is in force at the
next start. An entry no longer shipped is kept, marked *retired*: programmes and groups made with
it still name it, but it is no longer offered. The registry's own list, once pulled by sync, goes
through the same ``refresh``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from emp_edge.domain.lithuanian import alphabet_key
from emp_edge.errors import InputError, StoreError

KINDS: Final = ("direction", "sub_direction", "purpose", "provider_group")
SHIPPED: Final = "nvs_classifiers.json"


@dataclass(frozen=True)
class Entry:
    kind: str
    code: str
    name: str
    parent: str = ""  # a sub-direction's direction
    retired: bool = False


def shipped() -> list[Entry]:
    """The classifiers shipped with this version."""
    text = resources.files("emp_edge.store").joinpath(SHIPPED).read_text("utf-8")
    return parse(json.loads(text))


def parse(data: Mapping[str, Any]) -> list[Entry]:
    """Entries from ``{kind: [{code, name, parent?}, …]}``; an InputError names a bad one."""
    entries: list[Entry] = []
    for kind in KINDS:
        for number, item in enumerate(data.get(kind, []), start=1):
            code, name = str(item.get("code", "")).strip(), str(item.get("name", "")).strip()
            if not code or not name:
                raise InputError(
                    "classifier {kind} entry {number} needs a code and a name",
                    kind=kind,
                    number=number,
                )
            entries.append(Entry(kind, code, name, str(item.get("parent", "")).strip()))
    directions = {e.code for e in entries if e.kind == "direction"}
    for entry in entries:
        if entry.kind == "sub_direction" and entry.parent not in directions:
            raise InputError(
                "sub-direction {code} names no known direction ({parent!r})",
                code=entry.code,
                parent=entry.parent,
            )
    return entries


def refresh(conn: sqlite3.Connection, entries: Iterable[Entry]) -> int:
    """Write the entries in (the caller's transaction); retire those of a listed kind no longer
    given. Returns how many rows changed."""
    given = list(entries)
    before = conn.total_changes
    for entry in given:
        conn.execute(
            "INSERT INTO nvs_classifiers (kind, code, parent, name, retired) VALUES (?, ?, ?, ?, 0)"
            " ON CONFLICT (kind, code) DO UPDATE SET parent = excluded.parent,"
            " name = excluded.name, retired = 0"
            " WHERE (parent, name, retired) IS NOT (excluded.parent, excluded.name, 0)",
            (entry.kind, entry.code, entry.parent, entry.name),
        )
    for kind in {entry.kind for entry in given}:
        codes = [entry.code for entry in given if entry.kind == kind]
        marks = ", ".join("?" for _ in codes)
        conn.execute(
            f"UPDATE nvs_classifiers SET retired = 1 WHERE kind = ? AND retired = 0"  # noqa: S608
            f" AND code NOT IN ({marks})",
            (kind, *codes),
        )
    return conn.total_changes - before


def entries(conn: sqlite3.Connection, kind: str, *, with_retired: bool = False) -> list[Entry]:
    """One kind's entries in name order (sub-directions by direction, then name)."""
    if kind not in KINDS:
        raise StoreError("no classifier kind {kind!r}", kind=kind)
    rows = conn.execute(
        "SELECT kind, code, name, parent, retired FROM nvs_classifiers"
        " WHERE kind = ? AND (? OR retired = 0)",
        (kind, with_retired),
    )
    found = [Entry(k, code, name, parent, bool(retired)) for k, code, name, parent, retired in rows]
    # in the Lithuanian alphabet: Šokis before Teatras, Žygeiviai last
    return sorted(found, key=lambda e: (e.parent, alphabet_key(e.name), e.code))


def names(conn: sqlite3.Connection, kind: str) -> dict[str, str]:
    """Code → name of one kind, retired entries too (old programmes still name them)."""
    return {e.code: e.name for e in entries(conn, kind, with_retired=True)}


def check_codes(conn: sqlite3.Connection, kind: str, codes: Sequence[str]) -> None:
    """Refuse a code that is not a current entry of ``kind``, saying which."""
    current = {e.code for e in entries(conn, kind)}
    for code in codes:
        if code in current:
            continue
        if kind == "direction":
            raise InputError("{code!r} is not an NVŠ direction in the classifier", code=code)
        if kind == "sub_direction":
            raise InputError("{code!r} is not an NVŠ sub-direction in the classifier", code=code)
        if kind == "purpose":
            raise InputError("{code!r} is not a programme purpose in the classifier", code=code)
        raise InputError("{code!r} is not a provider group in the classifier", code=code)
