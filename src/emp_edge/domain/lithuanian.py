"""The Lithuanian alphabet's order, for lists people read: Š after S, Ž after Z, Y right after I."""

from __future__ import annotations

from typing import Final

#: the Lithuanian alphabet, with the Latin letters it lacks where the Latin alphabet has them
ALPHABET: Final = "aąbcčdeęėfghiįyjklmnopqrsštuųūvwxzž"
_LETTER: Final = {letter: place for place, letter in enumerate(ALPHABET)}


def alphabet_key(text: str) -> tuple[int, ...]:
    """Sort key of a text in Lithuanian order, letter case ignored; a space or hyphen comes
    before any letter, other signs after every letter."""
    return tuple(
        -1 if char in " -" else _LETTER.get(char, len(ALPHABET) + ord(char))
        for char in text.strip().lower()
    )


def name_order(last_name: str, first_name: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sort key of a person: by last name, then first name, in Lithuanian order."""
    return alphabet_key(last_name), alphabet_key(first_name)
