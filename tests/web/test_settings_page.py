"""The settings page: every setting, its value and where it came from; read-only; audited."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from visitor import every_right, make_user, signed_in

from emp_edge.config import SETTINGS, Setting, load_settings
from emp_edge.domain.clock import FixedClock
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.web import create_app
from emp_edge.web.views.settings import _value


def _rows(page: str) -> dict[str, tuple[str, str]]:
    """Setting name → (value, source) as the table shows them."""
    found = re.findall(
        r'data-setting="([^"]+)".*?data-test="value">([^<]*)<.*?data-test="source">([^<]*)<',
        page,
        flags=re.DOTALL,
    )
    return {name: (value, source) for name, value, source in found}


def test_only_admins_see_the_settings(app: Flask, services: Services) -> None:
    make_user(services.store, "ona", levels=every_right())
    assert signed_in(app, "ona").get("/settings/").status_code == 403


def test_every_setting_with_its_value_source_and_help(app: Flask, services: Services) -> None:
    make_user(services.store, "admin", admin=True)
    admin = signed_in(app, "admin")
    admin.post("/language", {"language": "en", "back": "/"})
    response = admin.get("/settings/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = _rows(page)
    assert list(rows) == [s.name for s in SETTINGS]
    assert rows["data_dir"] == (str(services.settings.data_dir), "environment")
    assert rows["web.port"] == ("8080", "default")
    assert rows["roles"] == ("web", "default")
    assert rows["school.municipality"] == ("—", "default")
    for setting in SETTINGS:
        assert setting.help.replace("'", "&#39;") in page
    assert "take effect when emp-edge is restarted" in page
    assert "<form" not in page.split("<main>")[1].split("</main>")[0], "nothing to change here"
    viewed = services.store.conn.execute(
        "SELECT actor, action FROM audit_log WHERE action = 'settings.viewed'"
    ).fetchall()
    assert viewed == [("admin", "settings.viewed")]


def test_a_value_from_the_config_file_names_the_file(
    tmp_path: Path, store: Store, clock: FixedClock
) -> None:
    config = tmp_path / "emp-edge.toml"
    config.write_text('[web]\nport = 8123\n\n[school]\nname = "Šaltinio progimnazija"\n', "utf-8")
    settings = load_settings(config, env={"EMP_EDGE_DATA_DIR": str(tmp_path / "data")})
    app = create_app(Services(settings, store, clock), {"TESTING": True, "SECRET_KEY": "k" * 32})
    make_user(store, "admin", admin=True)
    admin = signed_in(app, "admin")
    rows = _rows(admin.get("/settings/").get_data(as_text=True))
    value, source = rows["web.port"]
    assert value == "8123"
    assert str(config) in source
    assert rows["school.name"][0] == "Šaltinio progimnazija"
    assert rows["web.host"][1] != source


def test_a_secret_setting_would_be_shown_only_as_set(app: Flask) -> None:
    secret = Setting("registry.api_key", "", "Key for the registry.")
    with app.test_request_context():
        assert _value(secret, "s3cr3t-value") not in ("", "s3cr3t-value")
        assert _value(secret, "") == "—"
