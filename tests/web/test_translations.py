"""Both languages complete: every string a page can show is in the Lithuanian and the English
catalog, translated, and compiled."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src"
CATALOGS = SOURCE / "emp_edge" / "web" / "translations"
METHODS = [
    ("emp_edge/**.py", "python"),
    ("emp_edge/web/templates/**.html", "jinja2"),
]
#: the same keywords as scripts/translations
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "InputError": None,
    "TransitionError": None,
}
#: strings that are the same in Lithuanian
SAME_IN_LITHUANIAN = {"emp-edge", "%(level)s of %(area)s"}


def _extracted() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(SOURCE), METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(language: str) -> Catalog:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    found = _extracted()
    assert len(found) > 50, "extraction found too little: check METHODS"
    return found


@pytest.mark.parametrize("language", ["lt", "en"])
def test_every_string_is_translated(extracted: set[str], language: str) -> None:
    catalog = _catalog(language)
    missing = sorted(m for m in extracted if m not in catalog or not catalog[m].string)
    fuzzy = sorted(m for m in extracted if m in catalog and catalog[m].fuzzy)
    assert missing == [], f"{language}: run scripts/translations and translate these"
    assert fuzzy == [], f"{language}: check and unmark these fuzzy translations"


def test_lithuanian_is_not_english_left_in_place(extracted: set[str]) -> None:
    catalog = _catalog("lt")
    untouched = sorted(
        m
        for m in extracted
        if m in catalog and catalog[m].string == m and m not in SAME_IN_LITHUANIAN
    )
    assert untouched == []


@pytest.mark.parametrize("language", ["lt", "en"])
def test_placeholders_are_kept(language: str) -> None:
    import re

    placeholder = re.compile(r"%\(\w+\)s|\{\w+\}")
    wrong = [
        message.id
        for message in _catalog(language)
        if message.id
        and message.string
        and sorted(placeholder.findall(str(message.id)))
        != sorted(placeholder.findall(str(message.string)))
    ]
    assert wrong == []


@pytest.mark.parametrize("language", ["lt", "en"])
def test_compiled_catalog_matches_the_source(language: str) -> None:
    mo_path = CATALOGS / language / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "the catalogs are compiled when the package is built or installed"
    with mo_path.open("rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    source = {m.id: m.string for m in _catalog(language) if m.id and m.string and not m.fuzzy}
    assert compiled == source, "recompile: pip install -e . (or scripts/translations)"
