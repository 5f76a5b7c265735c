"""The clubs' setup pages: programmes, groups with leaders and weekly schedules, the classifiers,
and the users page's club-leader role.

Viewers of learning data read, managers change, others are refused; every change writes its row,
its outbox event and its audit row; every refused input says why on the page (in the reader's
language, Lithuanian by default) and leaves the database exactly as it was.
"""

from __future__ import annotations

import re

import pytest
from canteen_pages import audit_rows, dump, events, seen, text_of
from flask import Flask
from visitor import Visitor, make_user, signed_in

from club_rows import add_group, add_programme, add_slot
from emp_edge.domain.access import Area, Level
from emp_edge.store import Store
from emp_edge.store.accounts import load_account
from emp_edge.store.audit import verify
from emp_edge.store.club_setup_pages import find_group, find_programme, schedule

LEARNING = Area.LEARNING_DATA


@pytest.fixture
def manager(app: Flask, store: Store) -> Visitor:
    make_user(store, "rasa", levels={LEARNING: Level.MANAGER}, first_name="Rasa")
    return signed_in(app, "rasa")


@pytest.fixture
def viewer(app: Flask, store: Store) -> Visitor:
    make_user(store, "vida", levels={LEARNING: Level.VIEWER}, first_name="Vida")
    return signed_in(app, "vida")


@pytest.fixture
def outsider(app: Flask, store: Store) -> Visitor:
    """Manages everything but learning data, and is an admin."""
    levels = {area: Level.MANAGER for area in Area if area is not LEARNING}
    make_user(store, "jonas", levels=levels, first_name="Jonas", admin=True)
    return signed_in(app, "jonas")


@pytest.fixture
def admin(app: Flask, store: Store) -> Visitor:
    make_user(store, "aldona", admin=True, first_name="Aldona")
    return signed_in(app, "aldona")


def leader(store: Store, username: str, first: str) -> int:
    user_id = make_user(store, username, first_name=first, last_name="Mokytoja")
    with store.transaction() as tx:
        tx.execute("UPDATE users SET club_leader = 1 WHERE id = ?", (user_id,))
        tx.emit("test.club_leader", {})
    return user_id


def refused(
    store: Store, browser: Visitor, path: str, form: dict[str, object], message: str
) -> str:
    """Send a bad form: 400, the message on the page, and not one byte written."""
    token = browser.token()
    before = dump(store)
    response = browser.post(path, {**form, "csrf_token": token})
    page = text_of(response)
    assert response.status_code == 400, page
    assert message in page, f"{message!r} not on the page"
    assert 'data-test="form-has-errors"' in page or 'data-test="form-error"' in page
    assert dump(store) == before
    return page


PROGRAMME_FORM: dict[str, object] = {
    "ktprr_code": "120 000 001",
    "name": "Jaunųjų muzikantų studija",
    "purpose": "nvs",
    "directions": ["muzika", "sokis"],
}


# ---------------------------------------------------------------- who may


def test_the_pages_are_lithuanian_and_show_the_classifiers(
    app: Flask, store: Store, viewer: Visitor
) -> None:
    programme = add_programme(store, name="Jaunųjų muzikantų studija")
    group = add_group(store, programme, "Gitara 1")
    for path in ("/clubs/programmes", "/clubs/classifiers", f"/clubs/groups/{group}"):
        response = viewer.get(path)
        assert response.status_code == 200, path
        page = text_of(response)
        assert '<html lang="lt">' in page
        assert seen(app, "Clubs (NVŠ)") in page
    page = text_of(viewer.get("/clubs/classifiers"))
    for text in (
        seen(app, "NVŠ classifiers"),
        "Fortepijonas",
        "Akordeonas",
        "Kitas klavišinis instrumentas",
        "Violončelė",
        "Kitas styginis instrumentas",
        "Neformaliojo vaikų švietimo programos, papildančios formalųjį švietimą",
        "31714101",
        "Kitas švietimo teikėjas neformaliajam vaikų švietimui",
        "31914102",
        "Laisvasis mokytojas ikimokykliniam ir/ar priešmokykliniam ugdymui",
    ):
        assert text in page, text
    programmes = text_of(viewer.get("/clubs/programmes"))
    assert "Jaunųjų muzikantų studija" in programmes
    assert "Neformaliojo vaikų švietimo programos" in programmes  # the purpose's name
    assert f'href="/clubs/groups/{group}"' in programmes


def test_a_viewer_reads_but_changes_nothing(store: Store, viewer: Visitor) -> None:
    programme = add_programme(store)
    group = add_group(store, programme)
    slot = add_slot(store, group, weekday=1, starts="15:00", ends="16:30")
    page = text_of(viewer.get(f"/clubs/groups/{group}"))
    assert "15:00–16:30" in page
    assert f"/clubs/groups/{group}/edit" not in page
    assert 'data-test="slot-form"' not in page
    assert "/remove" not in page
    assert "/clubs/programmes/new" not in text_of(viewer.get("/clubs/programmes"))
    token = viewer.token()
    before = dump(store)
    for path in (
        "/clubs/programmes/new",
        f"/clubs/programmes/{programme}",
        "/clubs/groups/new",
        f"/clubs/groups/{group}/edit",
    ):
        assert viewer.get(path).status_code == 403, path
        assert viewer.post(path, {**PROGRAMME_FORM, "csrf_token": token}).status_code == 403
    form = {"csrf_token": token, "weekday": "2", "starts": "10:00", "ends": "11:00"}
    assert viewer.post(f"/clubs/groups/{group}/schedule", form).status_code == 403
    assert viewer.post(f"/clubs/groups/{group}/schedule/{slot}/remove", form).status_code == 403
    assert dump(store) == before


def test_without_learning_data_nothing_opens(store: Store, outsider: Visitor) -> None:
    group = add_group(store, add_programme(store))
    for path in (
        "/clubs/programmes",
        "/clubs/classifiers",
        f"/clubs/groups/{group}",
        "/clubs/programmes/new",
        "/clubs/groups/new",
    ):
        assert outsider.get(path).status_code == 403, path


def test_a_manager_sees_the_links_to_change(store: Store, manager: Visitor) -> None:
    programme = add_programme(store)
    group = add_group(store, programme)
    programmes = text_of(manager.get("/clubs/programmes"))
    assert 'href="/clubs/programmes/new"' in programmes
    assert f'href="/clubs/programmes/{programme}"' in programmes
    assert f'href="/clubs/groups/new?programme={programme}"' in programmes
    page = text_of(manager.get(f"/clubs/groups/{group}"))
    assert f'href="/clubs/groups/{group}/edit"' in page
    assert f'href="/clubs/groups/{group}/pupils"' in page
    assert 'href="/clubs/sessions"' in page
    assert 'data-test="slot-form"' in page
    assert manager.get("/clubs/programmes/999").status_code == 404
    assert manager.get("/clubs/groups/999").status_code == 404
    assert manager.get("/clubs/groups/999/edit").status_code == 404


# ---------------------------------------------------------------- programmes


def test_a_manager_adds_and_changes_a_programme(app: Flask, store: Store, manager: Visitor) -> None:
    page = text_of(manager.get("/clubs/programmes/new"))
    assert "Neformaliojo vaikų švietimo programos, papildančios formalųjį švietimą" in page
    assert "Šokis" in page
    response = manager.post("/clubs/programmes/new", PROGRAMME_FORM)
    assert response.status_code == 302
    [(programme_id,)] = store.conn.execute("SELECT id FROM programmes").fetchall()
    saved = find_programme(store.conn, programme_id)
    assert saved is not None
    assert (saved.ktprr_code, saved.directions) == ("120000001", ("muzika", "sokis"))
    [event] = events(store, "nvs.programme.saved")
    assert event["programme_id"] == programme_id
    assert audit_rows(store, "nvs.programme.added") == [
        (
            "rasa",
            f"programme:{programme_id}",
            "ktprr=120000001; purpose=nvs; directions=muzika,sokis",
        )
    ]
    page = text_of(manager.get(f"/clubs/programmes/{programme_id}"))
    assert 'value="120000001"' in page
    before = dump(store)
    again = manager.post(f"/clubs/programmes/{programme_id}", {**PROGRAMME_FORM})
    assert again.status_code == 302
    assert seen(app, "Nothing was changed.") in text_of(manager.get("/clubs/programmes"))
    assert dump(store) == before
    changed = {**PROGRAMME_FORM, "purpose": "papildancios", "directions": ["muzika"]}
    assert manager.post(f"/clubs/programmes/{programme_id}", changed).status_code == 302
    assert len(audit_rows(store, "nvs.programme.changed")) == 1
    assert verify(store.conn).ok


@pytest.mark.parametrize(
    ("change", "message", "params"),
    [
        (
            {"ktprr_code": "12"},
            "a KTPRR code is {shortest} to {longest} digits, not {code!r}",
            {"shortest": 6, "longest": 12, "code": "12"},
        ),
        ({"name": "  "}, "the programme needs its name", {}),
        ({"purpose": ""}, "choose the programme's purpose", {}),
        ({"directions": []}, "choose at least one direction of the programme", {}),
        (
            {"directions": ["astronomija"]},
            "{code!r} is not an NVŠ direction in the classifier",
            {"code": "astronomija"},
        ),
    ],
)
def test_a_bad_programme_is_refused_with_its_reason(
    app: Flask,
    store: Store,
    manager: Visitor,
    change: dict[str, object],
    message: str,
    params: dict[str, object],
) -> None:
    refused(
        store, manager, "/clubs/programmes/new", {**PROGRAMME_FORM, **change},
        seen(app, message, **params),
    )  # fmt: skip


def test_a_taken_ktprr_code_names_its_programme(app: Flask, store: Store, manager: Visitor) -> None:
    add_programme(store, "120000001", "Dailės studija")
    refused(
        store,
        manager,
        "/clubs/programmes/new",
        PROGRAMME_FORM,
        seen(
            app,
            "the KTPRR code {code} is the programme {name} already",
            code="120000001",
            name="Dailės studija",
        ),
    )


# ---------------------------------------------------------------- groups


def test_a_manager_adds_a_group_with_leaders(app: Flask, store: Store, manager: Visitor) -> None:
    programme = add_programme(store)
    rita = leader(store, "rita", "Rita")
    make_user(store, "petras", first_name="Petras")  # not a club leader: not offered
    page = text_of(manager.get(f"/clubs/groups/new?programme={programme}"))
    muzika = page[page.index('data-direction="muzika"') :]
    assert "Fortepijonas" in muzika[: muzika.index("</fieldset>")]
    assert "Rita Mokytoja" in page
    assert "Petras" not in page
    assert (
        f'<option selected value="{programme}">' in page or f'value="{programme}" selected' in page
    )
    form = {
        "programme": str(programme),
        "school_year": "2026",
        "name": "Gitara 1",
        "sub_directions": ["muzika.gitara", "muzika.fortepijonas"],
        "leaders": [str(rita)],
    }
    response = manager.post("/clubs/groups/new", form)
    assert response.status_code == 302
    [(group_id,)] = store.conn.execute("SELECT id FROM club_groups").fetchall()
    assert response.headers["Location"].endswith(f"/clubs/groups/{group_id}")
    saved = find_group(store.conn, group_id)
    assert saved is not None
    assert saved.leader_ids == (rita,)
    assert saved.sub_directions == ("muzika.fortepijonas", "muzika.gitara")
    [event] = events(store, "nvs.group.saved")
    assert event["leader_user_ids"] == [rita]
    assert audit_rows(store, "nvs.group.added") == [
        (
            "rasa",
            f"group:{group_id}",
            f"programme={programme}; school_year=2026;"
            f" sub_directions=muzika.fortepijonas,muzika.gitara; leaders={rita}",
        )
    ]
    page = text_of(manager.get(f"/clubs/groups/{group_id}"))
    assert "Muzika: Fortepijonas, Gitara" in page
    assert "Rita Mokytoja" in page
    assert "2026–2027" in page


def test_a_bad_group_is_refused_with_its_reason(app: Flask, store: Store, manager: Visitor) -> None:
    programme = add_programme(store, directions=("muzika",))
    plain = make_user(store, "petras", first_name="Petras", last_name="Petraitis")
    base = {"programme": str(programme), "school_year": "2026", "name": "Gitara 1",
            "sub_directions": ["muzika.gitara"]}  # fmt: skip
    refused(
        store,
        manager,
        "/clubs/groups/new",
        {**base, "sub_directions": ["technologijos.robotika"]},
        seen(
            app,
            "{sub_direction} ({direction}) is not a sub-direction of the programme's"
            " directions: {directions}",
            sub_direction="Robotika",
            direction="Technologijos",
            directions="Muzika",
        ),
    )
    refused(
        store,
        manager,
        "/clubs/groups/new",
        {**base, "leaders": [str(plain)]},
        seen(
            app,
            "{name} is not a club leader: an administrator marks club leaders on the users page",
            name="Petras Petraitis",
        ),
    )
    refused(store, manager, "/clubs/groups/new", {**base, "programme": ""},
            seen(app, "choose the group's programme"))  # fmt: skip
    add_group(store, programme, "Gitara 1")
    refused(
        store,
        manager,
        "/clubs/groups/new",
        base,
        seen(
            app,
            "the programme has a group named {name} in {year} already",
            name="Gitara 1",
            year="2026–2027",
        ),
    )


def test_a_group_is_changed_on_its_edit_page(app: Flask, store: Store, manager: Visitor) -> None:
    programme = add_programme(store)
    rita, ona = leader(store, "rita", "Rita"), leader(store, "ona", "Ona")
    group = add_group(store, programme, "Gitara 1", leaders=[rita])
    page = text_of(manager.get(f"/clubs/groups/{group}/edit"))
    assert 'value="Gitara 1"' in page
    assert re.search(rf'name="leaders" value="{rita}" checked', page)
    form = {"programme": str(programme), "school_year": "2026", "name": "Gitara A",
            "sub_directions": ["muzika.gitara"], "leaders": [str(ona)]}  # fmt: skip
    assert manager.post(f"/clubs/groups/{group}/edit", form).status_code == 302
    saved = find_group(store.conn, group)
    assert saved is not None
    assert (saved.name, saved.leader_ids) == ("Gitara A", (ona,))
    assert len(audit_rows(store, "nvs.group.changed")) == 1


# ---------------------------------------------------------------- the weekly schedule


def test_a_manager_adds_and_removes_weekly_sessions(
    app: Flask, store: Store, manager: Visitor
) -> None:
    group = add_group(store, add_programme(store))
    page = text_of(manager.get(f"/clubs/groups/{group}"))
    terminals = page[page.index('id="terminal"') :]
    terminals = terminals[: terminals.index("</select>")]
    assert "burelis-1" in terminals
    assert "valgykla-1" not in terminals  # a canteen terminal is no club room
    form = {"weekday": "1", "starts": "15:00", "ends": "16:30", "academic_hours": "2",
            "terminal": "burelis-1"}  # fmt: skip
    response = manager.post(f"/clubs/groups/{group}/schedule", form)
    assert response.status_code == 302
    [row] = schedule(store.conn, group)
    assert (row.slot.weekday, row.terminal) == (1, "burelis-1")
    assert events(store, "nvs.group.schedule_changed")[-1]["change"] == "added"
    [(actor, subject, detail)] = audit_rows(store, "nvs.group.slot_added")
    assert (actor, subject) == ("rasa", f"group:{group}")
    assert detail == f"slot={row.id}; weekday=1; 15:00-16:30; hours=2; terminal=burelis-1"
    page = text_of(manager.get(f"/clubs/groups/{group}"))
    assert "15:00–16:30" in page
    assert seen(app, "Monday") in page
    response = manager.post(f"/clubs/groups/{group}/schedule/{row.id}/remove")
    assert response.status_code == 302
    assert schedule(store.conn, group) == []
    assert len(audit_rows(store, "nvs.group.slot_removed")) == 1
    assert events(store, "nvs.group.schedule_changed")[-1]["change"] == "removed"
    assert verify(store.conn).ok


def test_a_bad_weekly_session_is_refused_with_its_reason(
    app: Flask, store: Store, manager: Visitor
) -> None:
    programme = add_programme(store)
    guitar = add_group(store, programme, "Gitara 1")
    violin = add_group(store, programme, "Smuikas 1", sub_directions=["muzika.smuikas"])
    add_slot(store, guitar, weekday=1, starts="15:00", ends="16:30")
    path = f"/clubs/groups/{violin}/schedule"
    base = {"weekday": "1", "starts": "16:00", "ends": "17:30", "academic_hours": "2",
            "terminal": "burelis-1"}  # fmt: skip
    refused(
        store,
        manager,
        path,
        base,
        seen(
            app,
            "the terminal {terminal} is taken on that day {starts}–{ends} by the group"
            " {group} ({programme})",
            terminal="burelis-1",
            starts="15:00",
            ends="16:30",
            group="Gitara 1",
            programme="Jaunųjų muzikantų studija",
        ),
    )
    refused(store, manager, path, {**base, "starts": "25:00"},
            seen(app, "Enter the time as hh:mm, e.g. 15:00."))  # fmt: skip
    refused(
        store,
        manager,
        path,
        {**base, "weekday": "2", "ends": "16:45"},
        seen(
            app,
            "{hours} academic hours of 45 minutes do not fit in {starts}–{ends}",
            hours=2,
            starts="16:00",
            ends="16:45",
        ),
    )
    refused(
        store,
        manager,
        path,
        {**base, "weekday": "2", "terminal": "valgykla-1"},
        seen(app, "{terminal} is not a club terminal of this box", terminal="valgykla-1"),
    )


def test_removing_a_slot_with_an_open_session_says_why(
    app: Flask, store: Store, manager: Visitor
) -> None:
    group = add_group(store, add_programme(store))
    slot = add_slot(store, group, weekday=1, starts="10:00", ends="11:30")
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO club_sessions (group_id, starts_at, ends_at, academic_hours, terminal,"
            " schedule_id) VALUES (?, '2026-10-05T07:00:00+00:00', '2026-10-05T08:30:00+00:00',"
            " 2, 'burelis-1', ?)",
            (group, slot),
        )
        tx.emit("test.session_opened", {})
    refused(
        store,
        manager,
        f"/clubs/groups/{group}/schedule/{slot}/remove",
        {},
        seen(app, "a session of this slot is open now: close it before removing the slot"),
    )


# ---------------------------------------------------------------- the club-leader role


def _edit_form(store: Store, user_id: int, **changes: str) -> dict[str, str]:
    account = load_account(store.conn, user_id)
    assert account is not None
    d = account.details
    form = {
        "first_name": d.first_name,
        "last_name": d.last_name,
        "valid_from": d.valid_from.isoformat(),
        **{f"right_{a.value}": account.grants.level(a).name.lower() for a in Area},
    }
    if account.club_leader:
        form["club_leader"] = "y"
    form.update(changes)
    return {k: v for k, v in form.items() if v != "-"}


def test_an_admin_marks_a_club_leader_on_the_users_page(
    app: Flask, store: Store, admin: Visitor
) -> None:
    user_id = make_user(store, "rita", first_name="Rita")
    page = text_of(admin.get(f"/users/{user_id}"))
    assert 'name="club_leader"' in page
    assert seen(app, "Club (NVŠ) group leader") in page
    assert (
        admin.post(f"/users/{user_id}", _edit_form(store, user_id, club_leader="y")).status_code
        == 302
    )
    account = load_account(store.conn, user_id)
    assert account is not None
    assert account.club_leader
    [(_actor, _subject, detail)] = audit_rows(store, "user.changed")
    assert detail == "club leader: no→yes"
    listing = text_of(admin.get("/users/"))
    row = listing[listing.index('data-user="rita"') :]
    assert f'data-test="club-leader">{seen(app, "yes")}<' in row[: row.index("</tr>")]
    response = admin.post("/users/new", {
        "username": "ona", "password": "Slaptažodis-2026", "password_again": "Slaptažodis-2026",
        "first_name": "Ona", "last_name": "Onaitė", "valid_from": "2026-09-01",
        "club_leader": "y",
    })  # fmt: skip
    assert response.status_code == 302
    found = store.conn.execute("SELECT club_leader FROM users WHERE username = 'ona'").fetchone()
    assert found == (1,)


def test_the_role_stays_while_the_user_leads_groups(
    app: Flask, store: Store, admin: Visitor
) -> None:
    rita = leader(store, "rita", "Rita")
    programme = add_programme(store)
    add_group(store, programme, "Gitara 1", leaders=[rita])
    add_group(store, programme, "Gitara 2", leaders=[rita])
    refused(
        store,
        admin,
        f"/users/{rita}",
        _edit_form(store, rita, club_leader="-"),
        seen(
            app,
            "{name} leads club groups of this or a later school year (groups: {count}):"
            " name another leader there before taking the club-leader role away",
            name="Rita Mokytoja",
            count=2,
        ),
    )
