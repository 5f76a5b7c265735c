"""The DESFire EV1 AES protocol of the school's card application: the terminal's side (session),
the card's side (the emulated card the simulated reader and the tests use), and their crypto.

The school application's layout, shared by the card station, the cards and the terminals:
"""

from typing import Final

ISSUER_FILE: Final = 1
"""File 1: the issuer file (16 bytes, plain, free read) naming the school that issued the card."""
RECORD_FILE: Final = 2
"""File 2: the card record (32 bytes, MACed, read with key 1): body ‖ record MAC."""
APPLICATION_MASTER_KEY: Final = 0
"""Key 0 changes the application; only the card station holds it."""
READ_KEY: Final = 1
"""Key 1 reads the card record; each terminal diversifies it from the master key and the UID."""
