"""What a receipt says about a sale, read back from a real SQLite file after real till taps."""

from __future__ import annotations

from datetime import UTC, date, datetime

from canteen_sale import Canteen

from emp_edge.domain.clock import FixedClock
from emp_edge.domain.taps import TapResult
from emp_edge.store import Store
from emp_edge.store.canteen_receipts import ReceiptItem, initials, receipt_for


def test_a_paid_sale_reads_back_with_initials_class_items_and_balance(
    store: Store, canteen: Canteen
) -> None:
    ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
    tap = canteen.tap(ona, canteen.cepelinai, canteen.juice)
    assert tap.result is TapResult.ACCEPTED
    sale = receipt_for(store.conn, tap.event_id)
    assert sale is not None
    assert (sale.till, sale.day, sale.meal_type, sale.meal_name) == (
        "valgykla-1",
        date(2026, 10, 5),
        "lunch",
        "Pietūs",
    )
    assert sale.at == datetime(2026, 10, 5, 9, 3, tzinfo=UTC)
    assert (sale.initials, sale.class_label) == ("O. Ž.", "5b")
    assert sale.items == (
        ReceiptItem("Cepelinai", 250, False),
        ReceiptItem("Obuolių sultys", 120, False),
    )
    assert (sale.paid_cents, sale.balance_after_cents) == (370, 130)


def test_the_balance_after_ignores_what_came_later(
    store: Store, canteen: Canteen, clock: FixedClock
) -> None:
    ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
    first = canteen.tap(ona, canteen.juice)
    canteen.top_up(ona.pupil_id, 1000)  # same moment on the fixed clock: order is by commit
    second = canteen.tap(ona, canteen.juice)
    balances = [receipt_for(store.conn, t.event_id) for t in (first, second)]
    assert [b.balance_after_cents if b else None for b in balances] == [380, 1260]


def test_a_free_meal_with_nothing_to_pay_shows_the_balance_of_its_moment(
    store: Store, canteen: Canteen
) -> None:
    jonas = canteen.pupil("Jonas Petras", "Kazlauskas-Šimkus", "7a", "04B1B2C3D4E5F6", cents=300)
    canteen.entitle(jonas.pupil_id)
    tap = canteen.tap(jonas)
    canteen.top_up(jonas.pupil_id, 700)
    sale = receipt_for(store.conn, tap.event_id)
    assert sale is not None
    assert sale.items == (ReceiptItem("Cepelinai", 0, True),)
    assert (sale.initials, sale.class_label) == ("J. P. K.-Š.", "7a")
    assert (sale.paid_cents, sale.balance_after_cents) == (0, 300)


def test_a_tap_that_sold_nothing_has_no_receipt(store: Store, canteen: Canteen) -> None:
    broke = canteen.pupil("Ūla", "Ąžuolaitė", "5b", "04C1B2C3D4E5F6")
    tap = canteen.tap(broke, canteen.juice)
    assert tap.result is TapResult.DENIED
    assert receipt_for(store.conn, tap.event_id) is None
    assert receipt_for(store.conn, "no-such-tap") is None


def test_initials_never_spell_out_a_name() -> None:
    assert initials("ona", "žukauskaitė") == "O. Ž."
    assert initials("Ona  Marija", "Žukauskaitė-Petraitienė") == "O. M. Ž.-P."
