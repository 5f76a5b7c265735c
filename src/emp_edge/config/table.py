"""The settings table: every setting emp-edge has, with its default and its help text.

A setting's name is ``section.key`` (or a bare ``key`` for the top level). In the TOML file it is
``key`` under ``[section]``; in the environment it is ``EMP_EDGE_SECTION_KEY``.
"""

from __future__ import annotations

from typing import Any

from emp_edge.config.setting import Setting
from emp_edge.config.sync_table import SYNC_SETTINGS

#: the roles this version can run; `run` starts those named in ``roles``
KNOWN_ROLES = ("web", "terminal")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        "/var/lib/emp-edge",
        "Folder for the database and spool folders; readable by the service user only.",
    ),
    Setting(
        "roles",
        ["web"],
        "Roles this box runs: web (admin pages and kiosk screens), terminal (the card readers).",
        kind=list,
        choices=KNOWN_ROLES,
    ),
    Setting(
        "timezone",
        "Europe/Vilnius",
        "Time zone of the school: decides today's date for validity, meals and the 21-day limit.",
    ),
    Setting(
        "log_level",
        "INFO",
        "How much to log to stderr (journald).",
        choices=LOG_LEVELS,
    ),
    Setting("school.code", "190000000", "Identification code of the school (§16.3)."),
    Setting("school.name", "Demonstracinė mokykla", "Name of the school as printed on cards."),
    Setting(
        "school.municipality",
        "",
        "Municipality of the school (basket rules and reports).",
    ),
    Setting("web.host", "127.0.0.1", "Address the admin pages listen on."),
    Setting(
        "web.port", 8080, "Port the admin pages listen on.", kind=int, minimum=0, maximum=65535
    ),
    Setting("web.threads", 8, "Worker threads of the web server.", kind=int, minimum=1, maximum=64),
    Setting(
        "store.busy_timeout_ms",
        5000,
        "How long a write waits for another one to finish before giving up (milliseconds).",
        kind=int,
        minimum=0,
        maximum=600_000,
    ),
    Setting(
        "terminal.readers",
        ["valgykla-1 canteen simulated", "burelis-1 club simulated"],
        "The terminals of this box, one per reader: 'NAME ROLE ADAPTER[:ARGUMENT]'. ROLE is"
        " canteen, club or check; ADAPTER is pcsc:PATTERN (a PC/SC reader whose name contains"
        " PATTERN), nfcpy:PATH (e.g. nfcpy:usb) or simulated (the tap simulator page).",
        kind=list,
    ),
    Setting(
        "terminal.card_mode",
        "aes",
        "How a card proves itself: aes (the chip's school application, AES authentication with a"
        " per-card key) or uid (the bare chip UID, for legacy cards only: clones pass).",
        choices=("aes", "uid"),
    ),
    Setting(
        "terminal.application_id",
        "F5EE01",
        "The school application's DESFire AID on the cards, 6 hex digits as written.",
    ),
    Setting(
        "terminal.master_key_file",
        "",
        "File (mode 0600) holding the school's card master key, 32 hex digits; empty means"
        " card-master.key in data_dir. Never put the key itself in this file or the database.",
    ),
    Setting(
        "terminal.debounce_ms",
        1500,
        "The same card again within this time is the same tap (milliseconds).",
        kind=int,
        minimum=0,
        maximum=60_000,
    ),
    Setting(
        "terminal.reconnect_ms",
        500,
        "How often a terminal looks for its reader while it is offline (milliseconds).",
        kind=int,
        minimum=50,
        maximum=10_000,
    ),
    Setting(
        "terminal.feedback",
        "auto",
        "Buzzer and LED of PC/SC readers: auto (ACR122-type readers when recognised), acr122,"
        " none.",
        choices=("auto", "acr122", "none"),
    ),
    Setting(
        "kiosk.language",
        "lt",
        "Language of the kiosk screens at the terminals.",
        choices=("lt", "en"),
    ),
    Setting(
        "kiosk.allow_from",
        ["127.0.0.1", "::1"],
        "Addresses allowed to open the kiosk screens and the tap simulator (they show pupils'"
        " names with no login): the terminal boxes' own browsers.",
        kind=list,
    ),
    Setting(
        "kiosk.result_seconds",
        4,
        "How long a tap's result stays on the kiosk screen (seconds).",
        kind=int,
        minimum=1,
        maximum=60,
    ),
    Setting(
        "canteen.overdraft_limit_cents",
        0,
        "How far below zero a prepaid balance may go, school-wide (cents; 0: never below zero).",
        kind=int,
        minimum=0,
        maximum=10_000,
    ),
    Setting(
        "canteen.max_top_up_cents",
        20_000,
        "The largest single top-up or correction staff may enter (cents); more is taken for a"
        " typing slip.",
        kind=int,
        minimum=100,
        maximum=1_000_000,
    ),
    Setting(
        "canteen.low_balance_cents",
        300,
        "Balances below this (cents) are on the low-balance list, for the school to tell parents.",
        kind=int,
        minimum=0,
        maximum=100_000,
    ),
    Setting(
        "canteen.close_day_at",
        "21:00",
        "When the box with the tills closes the canteen's days that are over, sending their free"
        " meals to the registry: every day at this time (HH:MM, school time), and once at start.",
        pattern=r"([01]\d|2[0-3]):[0-5]\d",
        pattern_help="a time HH:MM, e.g. 21:00",
    ),
    Setting(
        "canteen.till_photo",
        "off",
        "Show the pupil's photo on the till screen, where one is on file (photos are kept for"
        " card production and deleted after issue, §24).",
        choices=("off", "on"),
    ),
    Setting(
        "canteen.receipt_printers",
        [],
        "Receipt printers of the canteen tills, one per till: 'TILL KIND:ARGUMENT [PROFILE]'."
        " KIND is network:HOST[:PORT] (port 9100 if not given; the printer must answer the"
        " ESC/POS status query, so paper-out is noticed), usb:VENDOR:PRODUCT (hex ids, e.g."
        " usb:04b8:0e15), serial:DEVICE[:BAUD] (e.g. serial:/dev/ttyUSB0:19200) or spool:FOLDER"
        " (each receipt written as a file, relative to data_dir; for trying it out). PROFILE is"
        " the python-escpos printer profile (e.g. TM-T20II; default: default); it says which code"
        " pages the printer has, and without CP1257 or CP775 receipts print as images.",
        kind=list,
    ),
    Setting(
        "canteen.receipt_timeout_ms",
        2000,
        "How long a till waits for its receipt printer before it gives up on a receipt"
        " (milliseconds); the sale stands either way.",
        kind=int,
        minimum=100,
        maximum=30_000,
    ),
    Setting(
        "clubs.basket_min_hours",
        4,
        "The municipality's rule for the NVŠ basket: a month is fundable for a pupil who attended"
        " at least this many academic hours in it (Vilnius: 4).",
        kind=int,
        minimum=1,
        maximum=200,
    ),
    Setting(
        "clubs.basket_min_sessions",
        0,
        "Where the municipality also counts sessions: a fundable month needs at least this many"
        " sessions attended (0: sessions are not counted).",
        kind=int,
        minimum=0,
        maximum=100,
    ),
    Setting(
        "clubs.open_before_minutes",
        10,
        "A scheduled club session opens at its room's terminal this many minutes before it"
        " starts, so pupils who come early can tap in.",
        kind=int,
        minimum=0,
        maximum=60,
    ),
    Setting(
        "cards.replacement_fee_cents",
        600,
        "Fee for a paid card replacement, in cents (§38: 6.00 EUR).",
        kind=int,
        minimum=0,
        maximum=100_000,
    ),
    Setting(
        "cards.request_warn_days",
        5,
        "Flag a card request this many days before its 21-day limit (§42).",
        kind=int,
        minimum=0,
        maximum=21,
    ),
    Setting(
        "cards.printer",
        "spool",
        "Where the card station prints: cups (the CUPS queue in cards.cups_queue) or spool (a PDF"
        " per card in cards.spool_dir, for a printer that picks its jobs up from a folder).",
        choices=("cups", "spool"),
    ),
    Setting(
        "cards.cups_queue",
        "",
        "The CUPS queue of the card printer (page size CR80, duplex for the back).",
    ),
    Setting(
        "cards.cups_server",
        "",
        "The CUPS server as host:port; empty means the machine's own.",
    ),
    Setting(
        "cards.spool_dir",
        "",
        "Folder the spool printer writes the cards' PDFs to (readable by the service user"
        " only); empty means card-spool in data_dir.",
    ),
    Setting(
        "cards.print_timeout_s",
        120,
        "Seconds to wait for the printer to finish one card before it counts as not printed.",
        kind=int,
        minimum=5,
        maximum=3600,
    ),
    Setting(
        "cards.encoder",
        "simulated",
        "The chip encoder at the card station: pcsc (the PC/SC reader named in"
        " cards.encoder_reader) or simulated (the demo's emulated chips). A card is personalised"
        " only with its chip written and read back.",
        choices=("pcsc", "simulated"),
    ),
    Setting(
        "cards.encoder_reader",
        "",
        "Part of the name of the card station's PC/SC reader (the encoder).",
    ),
    Setting(
        "cards.encode_wait_s",
        30,
        "Seconds the encoder waits for the printed card to be laid on it.",
        kind=int,
        minimum=1,
        maximum=600,
    ),
    Setting(
        "cards.template_file",
        "",
        "A card layout file (JSON: positions, sizes, fonts of the front and back); empty means"
        " the layout shipped with emp-edge.",
    ),
    Setting(
        "cards.payment_account",
        "",
        "The school's bank account the parents pay a replacement card to (§40.3), as printed on"
        " the notice.",
    ),
    Setting(
        "cards.retention_days",
        30,
        "Days after a card is issued that its photo and printed data are deleted (§24).",
        kind=int,
        minimum=0,
        maximum=365,
    ),
    Setting(
        "cards.blank_reserve_percent",
        5,
        "Share of the pupils added to next year's blank demand for replacements and spoils.",
        kind=int,
        minimum=0,
        maximum=100,
    ),
    *SYNC_SETTINGS,
)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def example_toml() -> str:
    """The example config file: every setting with its help and its default, commented out."""
    lines = [
        "# emp-edge configuration: copy to /etc/emp-edge/emp-edge.toml, uncomment what you change.",
        "# Every setting can also be given in the environment as EMP_EDGE_<SECTION>_<KEY>,",
        "# which wins over this file. This file is made from the settings table in",
        "# src/emp_edge/config/table.py; a test keeps the two the same.",
    ]
    section = None
    for setting in sorted(SETTINGS, key=lambda s: (s.section, SETTINGS.index(s))):
        if setting.section != section:
            section = setting.section
            if section:
                lines += ["", f"[{section}]"]
        lines.append("")
        lines.append(f"# {setting.help}")
        if setting.choices:
            lines.append(f"# One of: {', '.join(setting.choices)}.")
        lines.append(f"# Environment: {setting.env_name}")
        lines.append(f"#{setting.key} = {_toml_value(setting.default)}")
    return "\n".join(lines) + "\n"
