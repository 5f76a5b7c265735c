"""Schools and pupils for the clubs' list and report tests, written straight into a real store.

The clubs' pupils come from several general education schools (each with its municipality), so
a pupil here names its school. Imported as ``from club_school import …``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from club_rows import add_group, add_programme, enrol
from emp_edge.domain.school import parse_class
from emp_edge.store import Store
from emp_edge.store.schools import ensure_class, ensure_school

VILNIUS_SCHOOL = ("190000001", "Šaltinio progimnazija", "Vilniaus miesto savivaldybė")
KAUNAS_SCHOOL = ("190000002", "Ąžuolyno gimnazija", "Kauno miesto savivaldybė")


def add_pupil(
    store: Store,
    first: str,
    last: str,
    *,
    label: str | None = "5a",
    school: tuple[str, str, str] = VILNIUS_SCHOOL,
    registry_id: str | None = None,
    birth_date: str = "2015-07-02",
) -> int:
    """A pupil of ``school`` (code, name, municipality) in class ``label`` of 2026–2027."""
    with store.transaction() as tx:
        school_id = ensure_school(tx, *school)
        class_id = (
            ensure_class(tx, school_id, 2026, parse_class(label)) if label is not None else None
        )
        now = tx.now()
        cursor = tx.execute(
            "INSERT INTO pupils (school_id, registry_id, first_name, last_name, birth_date,"
            " class_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (school_id, registry_id, first, last, birth_date, class_id, now, now),
        )
        tx.emit("test.pupil_added", {})
        return int(cursor.lastrowid or 0)


def add_attendance(
    store: Store, session_id: int, pupil_id: int, status: str = "present", source: str = "tap"
) -> None:
    """One attendance row as a tap (or a hand) would leave it, ``not_in_group`` too."""
    with store.transaction() as tx:
        at = tx.execute("SELECT starts_at FROM club_sessions WHERE id = ?", (session_id,))
        tx.execute(
            "INSERT INTO attendance (session_id, pupil_id, at, status, source, event_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, pupil_id, at.fetchone()[0], status, source,
             f"test-{status}-{session_id}-{pupil_id}"),
        )  # fmt: skip
        tx.emit("test.attendance", {})


def set_mark_state(store: Store, enrolment_id: int, kind: str, state: str) -> None:
    """The registry's answer to a funding mark, as sync would write it."""
    with store.transaction() as tx:
        tx.execute(
            "UPDATE funding_marks SET state = ?, registry_reason = ? WHERE enrolment_id = ?"
            " AND kind = ?",
            (state, "kitas tiekėjas jau pažymėjo" if state == "rejected" else "", enrolment_id,
             kind),
        )  # fmt: skip
        tx.emit("test.mark_answered", {})


# ---------------------------------------------------------------- a school year of clubs


def add_leader(store: Store, first: str, last: str) -> int:
    with store.transaction() as tx:
        cursor = tx.execute(
            "INSERT INTO users (username, password_hash, first_name, last_name, valid_from,"
            " club_leader, created_at, updated_at) VALUES (?, 'x', ?, ?, '2025-09-01', 1, ?, ?)",
            (f"{first}.{last}".lower(), first, last, tx.now(), tx.now()),
        )
        tx.emit("test.user_added", {})
        return int(cursor.lastrowid or 0)


@dataclass
class Year:
    guitar: int
    piano: int
    basketball: int
    painting: int
    choir: int
    aiste: int
    jonas: int
    sarunas: int
    ula: int
    vilnius_school: int


def school_year(store: Store) -> Year:
    """Five groups of 2026–2027 (one of last year), two leaders, five pupils of two schools:
    arrivals, a departure, basket marks local, accepted, rejected and of last year."""
    ruta = add_leader(store, "Rūta", "Mockutė")
    zilvinas = add_leader(store, "Žilvinas", "Ąžuolas")
    music = add_programme(store, "120000001", "Jaunųjų muzikantų studija", "nvs", ["muzika"])
    sport = add_programme(store, "120000002", "Krepšinio mokykla", "papildancios", ["sportas"])
    art = add_programme(store, "120000003", "Dailės studija", "nvs", ["daile"])
    voice = add_programme(store, "120000004", "Vokalo studija", "nvs", [])
    guitar = add_group(store, music, "Gitara 1", sub_directions=["muzika.gitara"],
                       leaders=[zilvinas, ruta])  # fmt: skip
    piano = add_group(store, music, "Fortepijonas", sub_directions=["muzika.fortepijonas"])
    basketball = add_group(store, sport, "Krepšinis", sub_directions=["sportas.krepsinis"])
    painting = add_group(store, art, "Tapyba", sub_directions=["daile.tapyba"])
    choir = add_group(store, voice, "Choras", sub_directions=["muzika.choras"])
    old = add_group(store, music, "Gitara 1", school_year=2025)

    aiste = add_pupil(store, "Aistė", "Jonaitytė", label="5b", birth_date="2015-03-04")
    jonas = add_pupil(store, "Jonas", "Petraitis", label="6a", school=KAUNAS_SCHOOL)
    sarunas = add_pupil(store, "Šarūnas", "Šimkus", label="7c")
    ula = add_pupil(store, "Ūla", "Žemaitytė", label=None, school=KAUNAS_SCHOOL)
    vytas = add_pupil(store, "Vytas", "Senasis")

    enrol(store, aiste, guitar, funding=["basket"])
    enrol(store, aiste, basketball, date(2026, 9, 15), funding=["municipal"])
    gone = enrol(store, jonas, guitar, left_on=date(2026, 10, 1), funding=["basket"])
    set_mark_state(store, gone, "basket", "accepted")
    with store.transaction() as tx:
        tx.execute("UPDATE enrolments SET departure_order = 'V-15' WHERE id = ?", (gone,))
        tx.emit("test.order", {})
    late = enrol(store, sarunas, piano, date(2026, 10, 2), contract_number="S-2026/7",
                 funding=["basket"])  # fmt: skip
    set_mark_state(store, late, "basket", "rejected")
    enrol(store, ula, painting)
    enrol(store, ula, choir, date(2026, 9, 20))
    enrol(store, vytas, old, date(2025, 9, 1), funding=["basket"])
    vilnius = store.conn.execute("SELECT id FROM schools WHERE code = ?", (VILNIUS_SCHOOL[0],))
    return Year(guitar, piano, basketball, painting, choir, aiste, jonas, sarunas, ula,
                int(vilnius.fetchone()[0]))  # fmt: skip
