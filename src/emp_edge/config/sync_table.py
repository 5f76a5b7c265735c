"""The settings of sync with the registry (SPEC §4.7)."""

from __future__ import annotations

from emp_edge.config.setting import Setting

SYNC_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "sync.registry_url",
        "",
        "Address of the registry's sync service (https://…/). Empty: the box works offline and"
        " keeps every event until it is set. Plain http:// only to this computer (127.0.0.1).",
        pattern=r"(https://[^\s/?#]+(/[^\s?#]*)?|http://(127\.0\.0\.1|localhost)(:\d+)?(/[^\s?#]*)?)?",
        pattern_help="https://host/path, or http://127.0.0.1:PORT/ for a registry on this box",
    ),
    Setting(
        "sync.token_file",
        "",
        "File with this box's registry token (readable by the service user only, mode 0600)."
        " Empty: registry.token in the data folder.",
    ),
    Setting(
        "sync.ca_file",
        "",
        "CA certificates (PEM) to check the registry's TLS certificate with. Empty: the system's."
        " The certificate is always checked.",
    ),
    Setting(
        "sync.push_every_s",
        30,
        "Seconds between sendings of the waiting events to the registry.",
        kind=int,
        minimum=1,
        maximum=3600,
    ),
    Setting(
        "sync.pull_every_min",
        15,
        "Minutes between readings of the roster (pupils, classes, free meals) from the registry.",
        kind=int,
        minimum=1,
        maximum=1440,
    ),
    Setting(
        "sync.batch_size",
        200,
        "Events sent to the registry in one request.",
        kind=int,
        minimum=1,
        maximum=1000,
    ),
    Setting(
        "sync.timeout_ms",
        10_000,
        "Milliseconds to wait for the registry to connect or to answer before trying again later.",
        kind=int,
        minimum=100,
        maximum=300_000,
    ),
    Setting(
        "sync.backoff_first_ms",
        2_000,
        "After a failed sync, the first wait before the next try; each failure doubles it"
        " (with a random part, so boxes do not all come back at once).",
        kind=int,
        minimum=10,
        maximum=600_000,
    ),
    Setting(
        "sync.backoff_max_s",
        900,
        "The longest wait between tries after failures, in seconds.",
        kind=int,
        minimum=1,
        maximum=86_400,
    ),
    Setting(
        "sync.max_answer_kb",
        8192,
        "The largest answer read from the registry, in KiB; a larger one is refused as broken.",
        kind=int,
        minimum=16,
        maximum=262_144,
    ),
)
