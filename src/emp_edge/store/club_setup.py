"""The clubs (NVŠ) as managers set them up: programmes, and their groups with leaders (each
group's weekly schedule is ``store.group_schedule``).

Each write takes an open transaction, checks what it is given against the classifiers and the
rules of ``domain.clubs`` (an ``InputError`` names the form field in ``where``), writes, and emits
its outbox event; the caller adds the audit row in the same transaction. Payloads carry ids,
codes and times; never a pupil. The pages read through ``store.club_setup_pages``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from emp_edge.domain import clubs
from emp_edge.domain.school import school_year, school_year_label
from emp_edge.errors import InputError
from emp_edge.store import classifiers
from emp_edge.store.club_setup_pages import (
    Group,
    Programme,
    codes_of,
    find_group,
    find_programme,
    schedule,
)
from emp_edge.store.group_schedule import check_terminal_free
from emp_edge.store.outbox import Transaction

#: the longest programme or group name
NAME_MAX = 200


# ---------------------------------------------------------------- programmes


def _name(text: str) -> str:
    """A name with its spaces tidied (empty when none was given); too long is refused."""
    name = " ".join(text.split())
    if len(name) > NAME_MAX:
        raise InputError("the name is longer than {max} characters", where="name", max=NAME_MAX)
    return name


def _current(conn: sqlite3.Connection, kind: str, codes: Sequence[str], where: str) -> None:
    try:
        classifiers.check_codes(conn, kind, codes)
    except InputError as err:
        raise InputError(err.template, where=where, **err.params) from None


def _unique(codes: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({code.strip() for code in codes if code.strip()}))


def save_programme(
    tx: Transaction,
    programme_id: int | None,
    ktprr_code: str,
    name: str,
    purpose: str,
    directions: Sequence[str],
) -> Programme | None:
    """Add (``programme_id`` None) or change a programme; None when nothing changed.

    The KTPRR code is unique; the purpose is one current purpose of the classifier; the
    directions are one or more current directions, and keep those of the programme's groups.
    """
    before = None if programme_id is None else find_programme(tx.conn, programme_id)
    if programme_id is not None and before is None:
        raise InputError(
            "there is no programme number {programme}", where="programme", programme=programme_id
        )
    try:
        code = clubs.check_ktprr_code(ktprr_code)
    except InputError as err:
        raise InputError(err.template, where="ktprr_code", **err.params) from None
    taken = tx.conn.execute(
        "SELECT id, name FROM programmes WHERE ktprr_code = ?", (code,)
    ).fetchone()
    if taken is not None and taken[0] != programme_id:
        raise InputError(
            "the KTPRR code {code} is the programme {name} already",
            where="ktprr_code",
            code=code,
            name=taken[1],
        )
    name = _name(name)
    if not name:
        raise InputError("the programme needs its name", where="name")
    purpose = purpose.strip()
    if not purpose:
        raise InputError("choose the programme's purpose", where="purpose")
    _current(tx.conn, "purpose", [purpose], "purpose")
    chosen = _unique(directions)
    if not chosen:
        raise InputError("choose at least one direction of the programme", where="directions")
    _current(tx.conn, "direction", chosen, "directions")
    if before is not None:
        _keeps_group_directions(tx.conn, before.id, chosen)
    after = Programme(programme_id or 0, code, name, purpose, chosen)
    if after == before:
        return None
    if before is None:
        cursor = tx.execute(
            "INSERT INTO programmes (ktprr_code, name, purpose, directions) VALUES (?, ?, ?, ?)",
            (code, name, purpose, json.dumps(list(chosen))),
        )
        after = Programme(int(cursor.lastrowid or 0), code, name, purpose, chosen)
    else:
        tx.execute(
            "UPDATE programmes SET ktprr_code = ?, name = ?, purpose = ?, directions = ?"
            " WHERE id = ?",
            (code, name, purpose, json.dumps(list(chosen)), after.id),
        )
    tx.emit(
        "nvs.programme.saved",
        {
            "programme_id": after.id,
            "ktprr_code": after.ktprr_code,
            "name": after.name,
            "purpose": after.purpose,
            "directions": list(after.directions),
            "created": before is None,
        },
    )
    return after


def _keeps_group_directions(
    conn: sqlite3.Connection, programme_id: int, directions: Sequence[str]
) -> None:
    """Refuse taking away a direction whose sub-direction one of the programme's groups has."""
    parents = _parents(conn)
    names = classifiers.names(conn, "sub_direction")
    rows = conn.execute(
        "SELECT name, school_year, sub_directions FROM club_groups WHERE programme_id = ?"
        " ORDER BY school_year, name",
        (programme_id,),
    )
    for group_name, year, text in rows:
        for code in codes_of(text):
            if parents.get(code, "") not in directions:
                raise InputError(
                    "the group {group} ({year}) has the sub-direction {sub_direction}:"
                    " keep its direction, or change the group first",
                    where="directions",
                    group=group_name,
                    year=school_year_label(year),
                    sub_direction=names.get(code, code),
                )


def _parents(conn: sqlite3.Connection) -> dict[str, str]:
    """Sub-direction code → its direction's code, retired entries too."""
    return {
        entry.code: entry.parent
        for entry in classifiers.entries(conn, "sub_direction", with_retired=True)
    }


# ---------------------------------------------------------------- groups


def _held(conn: sqlite3.Connection, group_id: int) -> bool:
    """The group has enrolments or sessions: its programme and school year are settled."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM enrolments WHERE group_id = ?)"
        " OR EXISTS (SELECT 1 FROM club_sessions WHERE group_id = ?)",
        (group_id, group_id),
    ).fetchone()
    return bool(row[0])


def _check_year(tx: Transaction, year: int) -> None:
    now = school_year(tx.clock.today())
    if not now - 1 <= year <= now + 1:
        raise InputError(
            "a group is made for the school years {first} to {last}",
            where="school_year",
            first=school_year_label(now - 1),
            last=school_year_label(now + 1),
        )


def _check_sub_directions(
    conn: sqlite3.Connection, programme: Programme, codes: Sequence[str]
) -> None:
    _current(conn, "sub_direction", codes, "sub_directions")
    current = classifiers.entries(conn, "sub_direction")
    offered = [entry for entry in current if entry.parent in programme.directions]
    if not codes and offered:
        raise InputError(
            "choose at least one sub-direction of the programme's directions",
            where="sub_directions",
        )
    parents = {entry.code: entry for entry in current}
    directions = classifiers.names(conn, "direction")
    for code in codes:
        entry = parents[code]
        if entry.parent not in programme.directions:
            raise InputError(
                "{sub_direction} ({direction}) is not a sub-direction of the programme's"
                " directions: {directions}",
                where="sub_directions",
                sub_direction=entry.name,
                direction=directions.get(entry.parent, entry.parent),
                directions=", ".join(directions.get(d, d) for d in programme.directions),
            )


def _check_leaders(conn: sqlite3.Connection, leader_ids: Sequence[int]) -> None:
    for user_id in leader_ids:
        row = conn.execute(
            "SELECT first_name || ' ' || last_name, club_leader, disabled FROM users WHERE id = ?",
            (user_id,),
        ).fetchone()
        if row is None:
            raise InputError("there is no user number {user}", where="leaders", user=user_id)
        name, leader, disabled = row
        if not leader:
            raise InputError(
                "{name} is not a club leader: an administrator marks club leaders on the users"
                " page",
                where="leaders",
                name=name,
            )
        if disabled:
            raise InputError(
                "{name}'s account is disabled: a disabled user cannot lead a group",
                where="leaders",
                name=name,
            )


def save_group(
    tx: Transaction,
    group_id: int | None,
    programme_id: int,
    year: int,
    name: str,
    sub_directions: Sequence[str],
    leader_ids: Sequence[int],
) -> Group | None:
    """Add (``group_id`` None) or change a group; None when nothing changed.

    The name is unique in its programme and school year; the sub-directions are current ones of
    the programme's directions; the leaders are enabled club leaders. A group with enrolments or
    sessions keeps its programme and school year.
    """
    conn = tx.conn
    before = None if group_id is None else find_group(conn, group_id)
    if group_id is not None and before is None:
        raise InputError("there is no group number {group}", where="group", group=group_id)
    programme = find_programme(conn, programme_id)
    if programme is None:
        raise InputError(
            "there is no programme number {programme}", where="programme", programme=programme_id
        )
    if before is None or before.school_year != year:
        _check_year(tx, year)
    moved = before is not None and (before.programme_id, before.school_year) != (programme_id, year)
    if before is not None and moved and _held(conn, before.id):
        raise InputError(
            "the group has enrolments or sessions: its programme and school year stay",
            where="programme" if before.programme_id != programme_id else "school_year",
        )
    name = _name(name)
    if not name:
        raise InputError("the group needs its name", where="name")
    for other_id, other_name in conn.execute(
        "SELECT id, name FROM club_groups WHERE programme_id = ? AND school_year = ?",
        (programme_id, year),
    ):
        if other_id != group_id and other_name.casefold() == name.casefold():
            raise InputError(
                "the programme has a group named {name} in {year} already",
                where="name",
                name=other_name,
                year=school_year_label(year),
            )
    chosen = _unique(sub_directions)
    _check_sub_directions(conn, programme, chosen)
    leaders = tuple(sorted(set(leader_ids)))
    _check_leaders(conn, leaders)
    after = Group(group_id or 0, programme_id, year, name, chosen, leaders)
    if after == before:
        return None
    if before is None:
        cursor = tx.execute(
            "INSERT INTO club_groups (programme_id, school_year, name, sub_directions)"
            " VALUES (?, ?, ?, ?)",
            (programme_id, year, name, json.dumps(list(chosen))),
        )
        after = Group(int(cursor.lastrowid or 0), programme_id, year, name, chosen, leaders)
    else:
        if before.school_year != year:
            for row in schedule(conn, before.id):
                check_terminal_free(conn, year, row.slot, row.terminal, before.id, "school_year")
        tx.execute(
            "UPDATE club_groups SET programme_id = ?, school_year = ?, name = ?,"
            " sub_directions = ? WHERE id = ?",
            (programme_id, year, name, json.dumps(list(chosen)), after.id),
        )
        tx.execute("DELETE FROM group_leaders WHERE group_id = ?", (after.id,))
    tx.conn.executemany(
        "INSERT INTO group_leaders (group_id, user_id) VALUES (?, ?)",
        [(after.id, user_id) for user_id in leaders],
    )
    tx.emit(
        "nvs.group.saved",
        {
            "group_id": after.id,
            "programme_id": programme.id,
            "ktprr_code": programme.ktprr_code,
            "school_year": year,
            "name": after.name,
            "sub_directions": list(after.sub_directions),
            "leader_user_ids": list(after.leader_ids),
            "created": before is None,
        },
    )
    return after
