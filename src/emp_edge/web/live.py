"""Server-Sent Events: a page listens and updates itself, no reloads.

A stream sends its first message at once, then a fresh one every ``interval`` seconds, and ends
after ``lifetime`` seconds so that it never holds a server thread for long; the browser's
EventSource reconnects by itself after ``retry`` milliseconds. At most ``LIVE_MAX_STREAMS`` streams
run at once (half the server's threads by default), so open pages can never starve the others:
a stream over the limit ends at once and the browser tries again a little later. Endpoints whose
name ends in ``_events`` are streams: they do not count as activity for the idle timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response, current_app, stream_with_context

Produce = Callable[[], tuple[str, dict[str, Any]] | None]


def message(event: str, data: dict[str, Any]) -> str:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {body}\n\n"


def stream(
    produce: Produce, *, interval: float | None = None, lifetime: float | None = None
) -> Response:
    """A response that sends what ``produce`` returns; it returns None when there is no more."""
    config = current_app.config
    every = interval if interval is not None else config["LIVE_INTERVAL_SECONDS"]
    ends = lifetime if lifetime is not None else config["LIVE_LIFETIME_SECONDS"]

    slots = _slots(current_app)
    if not slots.acquire(blocking=False):
        busy = Response(f"retry: {config['LIVE_RETRY_MS'] * 5}\n\n", mimetype="text/event-stream")
        busy.headers["Cache-Control"] = "no-store"
        return busy

    def run() -> Iterator[str]:
        yield f"retry: {config['LIVE_RETRY_MS']}\n\n"
        started = time.monotonic()
        while True:
            produced = produce()
            if produced is None:
                return
            yield message(*produced)
            if time.monotonic() - started + every > ends:
                return
            time.sleep(every)

    response = Response(stream_with_context(run()), mimetype="text/event-stream")
    response.call_on_close(_release_once(slots))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _slots(app: Flask) -> threading.BoundedSemaphore:
    slots: threading.BoundedSemaphore | None = app.extensions.get("emp_edge_live_slots")
    if slots is None:
        slots = threading.BoundedSemaphore(app.config["LIVE_MAX_STREAMS"])
        app.extensions.setdefault("emp_edge_live_slots", slots)
        slots = app.extensions["emp_edge_live_slots"]
    return slots


def _release_once(slots: threading.BoundedSemaphore) -> Callable[[], None]:
    done = threading.Event()

    def release() -> None:
        if not done.is_set():
            done.set()
            slots.release()

    return release
