"""The rights of the MR form: per area viewer or manager, admin apart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emp_edge.domain.access import (
    ADMIN,
    PUBLIC,
    SIGNED_IN,
    Area,
    Grants,
    Level,
    Need,
    Rule,
    manager,
    viewer,
)

levels = st.dictionaries(st.sampled_from(list(Area)), st.sampled_from(list(Level)))


def test_areas_are_those_of_the_mr_form() -> None:
    assert [a.value for a in Area] == [
        "personal_data",
        "learning_data",
        "blanks",
        "cards",
        "basket",
        "lists",
        "canteen",
    ]


def test_nobody_signed_in_passes_only_public_rules() -> None:
    assert PUBLIC.permits(None)
    for rule in (SIGNED_IN, ADMIN, viewer(Area.CARDS), manager(Area.CARDS)):
        assert not rule.permits(None)


def test_a_manager_may_view_a_viewer_may_not_manage() -> None:
    grants = Grants({Area.PERSONAL_DATA: Level.MANAGER, Area.CARDS: Level.VIEWER})
    assert viewer(Area.PERSONAL_DATA).permits(grants)
    assert manager(Area.PERSONAL_DATA).permits(grants)
    assert viewer(Area.CARDS).permits(grants)
    assert not manager(Area.CARDS).permits(grants)
    assert not viewer(Area.BASKET).permits(grants)


def test_admin_gives_no_right_to_pupils_data_by_itself() -> None:
    admin = Grants(is_admin=True)
    assert ADMIN.permits(admin)
    assert SIGNED_IN.permits(admin)
    for area in Area:
        assert not viewer(area).permits(admin)


def test_everything_is_every_area_as_manager_and_admin() -> None:
    grants = Grants.everything()
    assert grants.is_admin
    assert all(manager(area).permits(grants) for area in Area)


def test_rules_are_well_formed() -> None:
    with pytest.raises(ValueError, match="area rule"):
        Rule(Need.AREA)
    with pytest.raises(ValueError, match="area rule"):
        Rule(Need.ADMIN, Area.CARDS, Level.VIEWER)
    with pytest.raises(ValueError, match="area rule"):
        Rule(Need.AREA, Area.CARDS, Level.NONE)


@given(levels, st.booleans(), st.sampled_from(list(Area)))
def test_an_area_rule_depends_on_that_area_only(
    held: dict[Area, Level], is_admin: bool, area: Area
) -> None:
    grants = Grants(held, is_admin=is_admin)
    level = held.get(area, Level.NONE)
    assert viewer(area).permits(grants) == (level >= Level.VIEWER)
    assert manager(area).permits(grants) == (level == Level.MANAGER)
    assert ADMIN.permits(grants) == is_admin
