"""Sync's words on the pages: a kept error and the registry's clock, in the reader's language.

Sync keeps its errors as ``error_record`` made them (the English template and its parameters);
here the template is translated first and filled in after, as ``i18n.error_text`` does for a
live error. Text kept otherwise (an old row) is shown as it is.
"""

from __future__ import annotations

from typing import Final

from emp_edge.store.sync_jobs import kept_error
from emp_edge.web.i18n import gettext

#: the registry's clock may differ from the box's by this much before the pages warn
CLOCK_WARN_S: Final = 120


def kept_error_text(text: str | None) -> str:
    """A kept error in the reader's language; "" when there is none."""
    kept = kept_error(text)
    if kept is None:
        return ""
    template = gettext(kept.template)
    try:
        filled = template.format(**kept.params) if kept.params else template
    except (KeyError, IndexError, ValueError):
        filled = kept.english
    return f"{kept.where}: {filled}" if kept.where else filled


def duration_text(seconds: int) -> str:
    """A length of time the way a person reads it: 45 s, 2 min 10 s, 3 h 5 min."""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return gettext("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    if minutes:
        return gettext("%(minutes)d min %(seconds)d s", minutes=minutes, seconds=secs)
    return gettext("%(seconds)d s", seconds=secs)


def clock_text(offset_s: int) -> str:
    """The registry's clock against the box's (``offset_s``: the registry's minus the box's)."""
    if offset_s == 0:
        return gettext("the same as the box's")
    if offset_s > 0:
        return gettext("%(amount)s ahead of the box's", amount=duration_text(offset_s))
    return gettext("%(amount)s behind the box's", amount=duration_text(offset_s))


def clock_warning(offset_s: int | None) -> str:
    """A warning when the clocks differ by more than ``CLOCK_WARN_S``; "" otherwise."""
    if offset_s is None or abs(offset_s) <= CLOCK_WARN_S:
        return ""
    return gettext(
        "The box's clock differs from the registry's by %(amount)s. Set the box's date and time:"
        " the times it writes (taps, meals, cards) would be wrong.",
        amount=duration_text(offset_s),
    )
