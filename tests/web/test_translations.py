"""Both languages complete: every string a page can show is in the Lithuanian and the English
catalog, translated, and compiled."""

from __future__ import annotations

import re
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
    "PrinterError": None,
    "ReaderError": None,
    "TransitionError": None,
    "SyncError": None,
    "RegistryUnreachableError": None,
    "RegistryAnswerError": None,
    "RegistryRefusedError": None,
    "CursorExpiredError": None,
}
#: strings that are the same in Lithuanian
SAME_IN_LITHUANIAN = {
    "emp-edge",
    "%(level)s of %(area)s",
    "%(minutes)d min %(seconds)d s",  # the units are the same words
    "%(seconds)d s",
}


def _extracted() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(SOURCE), METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _complete(text: str | tuple[str, ...]) -> bool:
    return all(text) if isinstance(text, tuple) else bool(text)


def _plain(text: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    return tuple(text) if isinstance(text, tuple | list) else text


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
    missing = sorted(m for m in extracted if m not in catalog or not _complete(catalog[m].string))
    fuzzy = sorted(m for m in extracted if m in catalog and catalog[m].fuzzy)
    assert missing == [], f"{language}: run scripts/translations and translate these"
    assert fuzzy == [], f"{language}: check and unmark these fuzzy translations"


def test_lithuanian_is_not_english_left_in_place(extracted: set[str]) -> None:
    catalog = _catalog("lt")
    untouched = sorted(
        m
        for m in extracted
        if m in catalog
        and m in (catalog[m].string, *tuple(catalog[m].string))
        and m not in SAME_IN_LITHUANIAN
    )
    assert untouched == []


@pytest.mark.parametrize("language", ["lt", "en"])
def test_placeholders_are_kept(language: str) -> None:
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w+(?:![rs])?\}")
    wrong = []
    for message in _catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(set(placeholder.findall(ids[-1])))
        for text in texts:
            if text and sorted(set(placeholder.findall(text))) != wanted:
                wrong.append((ids[0], text))
    assert wrong == []


@pytest.mark.parametrize("language", ["lt", "en"])
def test_compiled_catalog_matches_the_source(language: str) -> None:
    mo_path = CATALOGS / language / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "the catalogs are compiled when the package is built or installed"
    with mo_path.open("rb") as mo:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(mo) if m.id}
    source = {
        _plain(m.id): _plain(m.string)
        for m in _catalog(language)
        if m.id and _complete(m.string) and not m.fuzzy
    }
    assert compiled == source, "recompile: pip install -e . (or scripts/translations)"
