"""Every route × every role: built from the app's registered routes, so a new route without a rule
(or with a rule nobody wrote down here) fails the suite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from visitor import make_user

from emp_edge.domain.access import (
    ADMIN,
    PUBLIC,
    SIGNED_IN,
    Area,
    Grants,
    Level,
    Rule,
    manager,
    viewer,
)
from emp_edge.domain.taps import SimulatedCard
from emp_edge.services import Services
from emp_edge.web import create_app
from emp_edge.web.access import rule_of
from emp_edge.web.views.simulator import use_tap_simulator

PD = Area.PERSONAL_DATA

#: what each page and action needs; the lead's decisions are in docs/decisions.md
EXPECTED: dict[str, Rule] = {
    "static": PUBLIC,
    "dashboard.healthz": PUBLIC,
    "session.login": PUBLIC,
    "session.choose_language": PUBLIC,
    "session.logout": SIGNED_IN,
    "dashboard.index": SIGNED_IN,
    "dashboard.status_events": SIGNED_IN,
    "sync.index": SIGNED_IN,
    "sync.run_now": ADMIN,  # POST /sync/now
    "sync.progress": ADMIN,  # GET /sync/now/<job_id>, and only the job's owner
    "sync.progress_events": ADMIN,
    "sync.correct_form": ADMIN,  # GET /sync/events/<seq>/correct: shows the payload
    "sync.correct": ADMIN,  # POST
    "sync.resend": ADMIN,
    "pupils.index": viewer(PD),
    "pupils.show": viewer(PD),
    "pupils.import_classlist": manager(PD),
    "pupils.import_job": manager(PD),
    "pupils.import_job_events": manager(PD),
    "cards.index": viewer(Area.CARDS),
    "cards.blanks": viewer(Area.BLANKS),
    "card_blanks.receive": manager(Area.BLANKS),
    "card_blanks.demand": viewer(Area.BLANKS),  # and its CSV and print view (?format=)
    "card_blanks.duty": viewer(Area.BLANKS),  # GET /cards/duty: the handovers
    "card_blanks.hand_over_duty": manager(Area.BLANKS),  # POST /cards/duty
    "card_blanks.ediary_csv": viewer(Area.LISTS),
    "card_printing.batch": viewer(Area.CARDS),
    "card_printing.start": manager(Area.CARDS),
    "card_printing.progress": manager(Area.CARDS),  # and only the job's owner
    "card_printing.progress_events": manager(Area.CARDS),
    "card_issue.handover": viewer(Area.CARDS),
    "card_issue.hand_over": manager(Area.CARDS),
    "card_issue.issue": manager(Area.CARDS),
    "card_issue.act_pdf": viewer(Area.CARDS),
    "card_issue.journal": viewer(Area.CARDS),  # the page, and its PDF with ?format=pdf
    "card_issue.destruction": viewer(Area.CARDS),
    "card_issue.destroy": manager(Area.CARDS),
    "card_requests.new": manager(Area.CARDS),  # step 1 (find the pupil) and step 2
    "card_requests.card": viewer(Area.CARDS),
    "card_requests.save_face": manager(Area.CARDS),
    "card_requests.photo": manager(Area.CARDS),
    "card_requests.photo_image": viewer(Area.CARDS),
    "card_requests.add_entry": manager(Area.CARDS),
    "card_requests.remove_entry": manager(Area.CARDS),
    "card_requests.cancel": manager(Area.CARDS),
    "card_requests.request_form": viewer(Area.CARDS),
    "card_requests.preview": viewer(Area.CARDS),
    "card_requests.replace": manager(Area.CARDS),
    "card_requests.payment": manager(Area.CARDS),
    "card_requests.notice": viewer(Area.CARDS),
    "card_requests.return_card": manager(Area.CARDS),
    "card_requests.spoil": manager(Area.CARDS),
    "simulator.index": viewer(Area.CARDS),
    "simulator.taps": PUBLIC,  # and only from kiosk.allow_from (tests/web/test_simulator.py)
    "kiosk.screen": PUBLIC,  # and only from kiosk.allow_from (tests/web/test_kiosk.py)
    "kiosk.screen_events": PUBLIC,
    # the till screen's requests: only from kiosk.allow_from (tests/web/test_till.py)
    "till.state": PUBLIC,
    "till.picks": PUBLIC,
    "till.acknowledged": PUBLIC,
    "till.photo": PUBLIC,
    "canteen.index": viewer(Area.CANTEEN),
    "canteen.day_csv": viewer(Area.CANTEEN),
    "canteen.print_day": viewer(Area.CANTEEN),  # the same figures as the CSV, on paper
    "canteen.close": manager(Area.CANTEEN),
    "canteen_setup.meals": viewer(Area.CANTEEN),
    "canteen_setup.new_meal": manager(Area.CANTEEN),
    "canteen_setup.edit_meal": manager(Area.CANTEEN),
    "canteen_setup.items": viewer(Area.CANTEEN),
    "canteen_setup.new_item": manager(Area.CANTEEN),
    "canteen_setup.edit_item": manager(Area.CANTEEN),
    "canteen_accounts.index": viewer(Area.CANTEEN),
    "canteen_accounts.show": viewer(Area.CANTEEN),
    "canteen_accounts.top_up": manager(Area.CANTEEN),
    "canteen_accounts.refund": manager(Area.CANTEEN),
    "canteen_accounts.correction": manager(Area.CANTEEN),
    "canteen_accounts.limit": manager(Area.CANTEEN),
    "canteen_accounts.no_buy": manager(Area.CANTEEN),
    "canteen_accounts.diet_note": manager(Area.CANTEEN),
    "canteen_accounts.add_free_meal": manager(Area.CANTEEN),
    "canteen_accounts.end_free_meal": manager(Area.CANTEEN),
    "clubs.index": viewer(Area.LEARNING_DATA),
    "club_lists.index": viewer(Area.LISTS),
    "club_lists.show": viewer(Area.LISTS),  # the page, and its CSV with ?format=csv
    "club_report.month": viewer(Area.BASKET),
    "club_report.csv": viewer(Area.BASKET),
    "club_report.pdf": viewer(Area.BASKET),
    "club_report.send": manager(Area.BASKET),
    "club_enrolment.find": manager(Area.LEARNING_DATA),  # step 1 of enrolling
    "club_enrolment.enrol": manager(Area.LEARNING_DATA),
    "club_enrolment.enrolment": viewer(Area.LEARNING_DATA),
    "club_enrolment.funding": manager(Area.BASKET),
    "club_enrolment.unmark": manager(Area.BASKET),
    "club_enrolment.deregister": manager(Area.LEARNING_DATA),
    "club_enrolment.group_pupils": viewer(Area.LEARNING_DATA),
    # the leader's pages: signed in, and the view lets in only the group's leader or a manager
    # of learning data (tests/web/test_club_sessions.py)
    "club_sessions.mine": SIGNED_IN,
    "club_sessions.session": SIGNED_IN,
    "club_sessions.open_session": SIGNED_IN,
    "club_sessions.close_session": SIGNED_IN,
    "club_sessions.add_mark": SIGNED_IN,
    "club_sessions.remove_mark": SIGNED_IN,
    "club_screen.state": PUBLIC,  # and only from kiosk.allow_from (tests/web/test_club_screen.py)
    "club_setup.programmes": viewer(Area.LEARNING_DATA),
    "club_setup.new_programme": manager(Area.LEARNING_DATA),
    "club_setup.edit_programme": manager(Area.LEARNING_DATA),
    "club_setup.group": viewer(Area.LEARNING_DATA),
    "club_setup.new_group": manager(Area.LEARNING_DATA),
    "club_setup.edit_group": manager(Area.LEARNING_DATA),
    "club_setup.add_slot": manager(Area.LEARNING_DATA),
    "club_setup.remove_slot": manager(Area.LEARNING_DATA),
    "club_setup.classifiers": viewer(Area.LEARNING_DATA),
    "users.index": ADMIN,
    "users.new": ADMIN,
    "users.edit": ADMIN,
    "users.disable": ADMIN,
    "users.enable": ADMIN,
    "users.reset_password": ADMIN,
    "audit.index": ADMIN,
    "settings.index": ADMIN,
}

SAMPLE_ARGUMENTS: dict[str, Any] = {
    "pupil_id": 1,
    "user_id": 2,  # the "target" account below, never the one doing the request
    "job_id": "no-such-job",
    "filename": "app.css",
    "terminal": "valgykla-1",  # a terminal of the default terminal.readers
    "code": "lunch",  # a meal type the first migration makes
    "item_id": 1,
    "event_id": "no-such-tap",
    "name": "learners",  # a list of the clubs
    "enrolment_id": 1,
    "group_id": 1,
    "session_id": 1,
    "programme_id": 1,
    "slot_id": 1,
    "card_id": 1,
    "act_id": 1,
    "entry_id": 1,
    "side": "front",
    "seq": 1,
}


@dataclass(frozen=True)
class Role:
    name: str
    grants: Grants | None  # None: nobody signed in


ROLES: list[Role] = [
    Role("anonymous", None),
    Role("nothing", Grants()),
    Role("admin-only", Grants(is_admin=True)),
    *(Role(f"viewer-{a}", Grants({a: Level.VIEWER})) for a in Area),
    *(Role(f"manager-{a}", Grants({a: Level.MANAGER})) for a in Area),
]


class OneTerminal:
    """A tap simulator with one terminal, so the simulator's routes exist here."""

    def terminals(self) -> list[str]:
        return ["valgykla-1"]

    def tap(self, terminal: str, card_id: int | None, kind: SimulatedCard) -> None:
        return None


@pytest.fixture
def matrix_app(services: Services) -> Flask:
    app = create_app(
        services,
        {
            "TESTING": True,
            "SECRET_KEY": "m" * 32,
            "WTF_CSRF_ENABLED": False,
            "LIVE_LIFETIME_SECONDS": 0,
            "KIOSK_LIFETIME_SECONDS": 0,
        },
    )
    use_tap_simulator(app, OneTerminal())
    make_user(services.store, "someone")  # id 1
    make_user(services.store, "target")  # id 2: what user routes act on
    return app


def _requests(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every registered route."""
    found = []
    with app.test_request_context():
        for url_rule in app.url_map.iter_rules():
            missing = [a for a in url_rule.arguments if a not in SAMPLE_ARGUMENTS]
            assert not missing, f"{url_rule.endpoint}: give SAMPLE_ARGUMENTS for {missing}"
            url = app.url_for(
                url_rule.endpoint, **{a: SAMPLE_ARGUMENTS[a] for a in url_rule.arguments}
            )
            for method in sorted((url_rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((url_rule.endpoint, method, url))
    return found


def _client_as(app: Flask, services: Services, role_index: int) -> FlaskClient:
    client = app.test_client()
    role = ROLES[role_index]
    if role.grants is None:
        return client
    found = services.store.conn.execute(
        "SELECT id FROM users WHERE username = ?", (f"role{role_index}",)
    ).fetchone()
    if found:
        user_id = found[0]
    else:
        user_id = make_user(
            services.store,
            f"role{role_index}",
            admin=role.grants.is_admin,
            levels=role.grants.levels,
        )
    now = services.clock.now().timestamp()
    with client.session_transaction() as session:
        session.update(_user_id=str(user_id), _fresh=True, signed_in_at=now, seen_at=now)
    return client


def test_every_route_has_the_rule_written_here(matrix_app: Flask) -> None:
    endpoints = {rule.endpoint for rule in matrix_app.url_map.iter_rules()}
    assert endpoints - set(EXPECTED) == set(), "a route with no expected rule: add it to EXPECTED"
    assert set(EXPECTED) - endpoints == set(), "EXPECTED names a route the app does not have"
    with matrix_app.test_request_context():
        for endpoint, wanted in EXPECTED.items():
            assert rule_of(endpoint) == wanted, endpoint


def _refused(status: int, location: str) -> bool:
    return status in (401, 403) or (status == 302 and "/login" in location)


@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=[r.name for r in ROLES])
def test_route_by_role(matrix_app: Flask, services: Services, role_index: int) -> None:
    role = ROLES[role_index]
    wrong = []
    for endpoint, method, url in _requests(matrix_app):
        if endpoint == "session.logout":
            continue  # checked below: it ends the session the other requests use
        client = _client_as(matrix_app, services, role_index)
        response = client.open(url, method=method)
        response.close()
        refused = _refused(response.status_code, response.headers.get("Location", ""))
        allowed = EXPECTED[endpoint].permits(role.grants)
        if refused == allowed:
            wrong.append(f"{method} {url}: {response.status_code}, expected allowed={allowed}")
        if response.status_code >= 500:
            wrong.append(f"{method} {url}: {response.status_code}")
    client = _client_as(matrix_app, services, role_index)
    logout = client.post("/logout")
    signed_out = logout.status_code == 302 and logout.headers["Location"].endswith("?out=1")
    assert signed_out == (role.grants is not None)
    assert wrong == []


def test_a_route_without_a_rule_is_refused(services: Services) -> None:
    app = create_app(services, {"TESTING": True, "SECRET_KEY": "n" * 32})

    @app.get("/forgotten")
    def forgotten() -> str:
        return "should not be seen"

    make_user(services.store, "ona", admin=True, levels={a: Level.MANAGER for a in Area})
    client = app.test_client()
    now = services.clock.now().timestamp()
    with client.session_transaction() as session:
        session.update(_user_id="1", _fresh=True, signed_in_at=now, seen_at=now)
    response = client.get("/forgotten")
    assert response.status_code == 403
    assert "should not be seen" not in response.get_data(as_text=True)
