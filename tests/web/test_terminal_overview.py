"""The overview of a box with terminals: links to their screens, and the uid-only warning."""

from __future__ import annotations

import dataclasses

import pytest
from visitor import make_user, signed_in

from emp_edge.services import Services
from emp_edge.web import create_app


def overview(services: Services, **settings: object) -> str:
    changed = dataclasses.replace(services, settings=services.settings.replace(**settings))
    app = create_app(changed, {"TESTING": True, "SECRET_KEY": "k" * 32})
    if not services.store.conn.execute("SELECT 1 FROM users WHERE username = 'ona'").fetchone():
        make_user(services.store, "ona")
    return signed_in(app, "ona").get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("roles", "mode", "warned"),
    [
        (["web", "terminal"], "uid", True),
        (["web", "terminal"], "aes", False),
        (["web"], "uid", False),  # no terminal here: nothing is checked by uid on this box
    ],
)
def test_uid_only_mode_is_a_standing_warning_on_the_overview(
    services: Services, roles: list[str], mode: str, warned: bool
) -> None:
    page = overview(services, roles=roles, terminal__card_mode=mode)
    assert ('data-test="uid-only-warning"' in page) is warned
    assert ("Kortelės tikrinamos tik pagal lusto numerį" in page) is warned


def test_the_overview_links_the_kiosk_screens_of_the_terminals_it_runs(
    services: Services,
) -> None:
    page = overview(
        services,
        roles=["web", "terminal"],
        terminal__readers=["valgykla-1 canteen simulated", "burelis-2 club nfcpy:usb"],
    )
    assert 'href="/kiosk/valgykla-1"' in page
    assert 'href="/kiosk/burelis-2"' in page
    assert 'href="/kiosk/' not in overview(services, roles=["web"])
