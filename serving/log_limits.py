"""A log that grows by a bounded amount whatever clients send.

One client sending malformed requests grew the log at 4.9 GB an hour: Gradio wrote a 28-line
traceback for every ordinary input error, and uvicorn a 5 KB one for every request for an
unknown event id. Input errors are now one line each (serving/guards.py), a client error that
reaches uvicorn as an exception is one line, and each of these loggers lets through at most
LINES_PER_MINUTE lines a minute, then says how many it dropped.
"""
import logging
import sys
import threading
import time

from starlette.exceptions import HTTPException

LINES_PER_MINUTE = 30
LIMITED = ("app.input", "uvicorn.error", "uvicorn.access")


class RateLimit(logging.Filter):
    """At most `lines` records per window of `seconds`; the first record of the next window
    says how many were dropped."""

    def __init__(self, lines: int = LINES_PER_MINUTE, seconds: float = 60):
        super().__init__()
        self.lines, self.seconds, self.lock = lines, seconds, threading.Lock()
        self.window_start, self.count, self.dropped = time.monotonic(), 0, 0

    def filter(self, record: logging.LogRecord) -> bool:
        with self.lock:
            if time.monotonic() - self.window_start >= self.seconds:
                if self.dropped:
                    record.msg, record.args = f"({self.dropped:,} lines dropped before this one) {record.getMessage()}", ()
                self.window_start, self.count, self.dropped = time.monotonic(), 0, 0
            self.count += 1
            if self.count > self.lines:
                self.dropped += 1
                return False
            return True


class ClientErrorsOnOneLine(logging.Filter):
    """uvicorn logs an exception that escapes the app with its traceback: for a client's error
    (an HTTPException, e.g. Gradio's 404 for an unknown event id, which reaches uvicorn as the
    cause of starlette's "response already started") the status and detail do."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        while error is not None and not isinstance(error, HTTPException):
            error = error.__cause__ or error.__context__
        if error is not None:
            record.msg, record.args = f"{record.getMessage().strip()}: {error.status_code} {error.detail!s:.200}", ()
            record.exc_info = record.exc_text = None
        return True


def limit_logs() -> None:
    """Once, before the server starts: one line per input error on stderr, every limited
    logger rate-limited."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s input error %(message)s"))
    inputs = logging.getLogger("app.input")
    inputs.setLevel(logging.INFO)
    inputs.addHandler(handler)
    inputs.propagate = False
    logging.getLogger("uvicorn.error").addFilter(ClientErrorsOnOneLine())
    for name in LIMITED:
        logging.getLogger(name).addFilter(RateLimit())
