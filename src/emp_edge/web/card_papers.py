"""What the card pages get from the printer part, handed in by the composition root.

The web may not import the printer or the card station (the outer parts stay independent), so the
photo check, the card's preview and the station's PDFs reach the pages through one object plugged
in with ``use_card_papers``. A page that needs it while none is plugged in answers with a clear
page (503) instead of failing.
"""

from __future__ import annotations

from typing import Protocol

from flask import Flask, abort, current_app, make_response, render_template

from emp_edge.web.i18n import gettext

CARD_PAPERS = "emp_edge_card_papers"


class CardPapers(Protocol):
    """The photo check, the card's images and the station's documents (PDF)."""

    def check_photo(self, data: bytes) -> bytes:
        """The checked JPEG cropped to the card's photo box; InputError(where="photo") why not."""
        ...

    def preview(self, card_id: int) -> tuple[bytes, bytes]:
        """PNG front, back of the card as it would print now."""
        ...

    def request_form(self, card_id: int) -> bytes:
        """The request (annex 1 or 2) as a PDF, filled in."""
        ...

    def parents_notice(self, card_id: int) -> bytes:
        """The parents' notice of a paid replacement (annex 5) as a PDF."""
        ...

    def payment_purpose(self, card_id: int) -> str:
        """The payment purpose line of §40.3: the child's name, surname, class, blank number."""
        ...

    def handover_act(self, act_id: int) -> bytes: ...

    def destruction_act(self, act_id: int) -> bytes: ...

    def journal(self, year: int | None) -> bytes: ...


def use_card_papers(app: Flask, papers: CardPapers) -> None:
    """Plug in the printer part's photo check, previews and documents."""
    app.extensions[CARD_PAPERS] = papers


def has_card_papers() -> bool:
    """Whether anything is plugged in (a page may then offer its previews and PDFs)."""
    return current_app.extensions.get(CARD_PAPERS) is not None


def card_papers() -> CardPapers:
    """The plugged-in papers, for a view; a 503 page saying so when there are none."""
    papers: CardPapers | None = current_app.extensions.get(CARD_PAPERS)
    if papers is None:
        page = render_template(
            "problem.html",
            status=503,
            title=gettext("The card printer's part is not running"),
            text=gettext(
                "Photos cannot be checked and the card's images and documents cannot be made"
                " now. Nothing was changed. Ask the administrator to start the card station."
            ),
        )
        abort(make_response(page, 503))
    return papers
