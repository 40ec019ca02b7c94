"""One send's time budget, kept by every socket operation of the send (decision 0024).

A socket timeout bounds one operation, not a send: one SMTP send is a connection, EHLO, STARTTLS, AUTH, MAIL,
RCPT and DATA, each with a reply read a piece at a time, and an HTTP exchange is much the same. A provider
starts a ``Deadline`` for each send and, before each blocking call, gives the socket only what is left of it
(``Deadline.bound``); replies are read through ``DeadlineReader``, which does so before every ``recv``. A
server that stalls, or answers a byte at a time, cannot hold a send past its budget, which the delivery job
makes its lease outlast.
"""

import io
import math
import socket
import time
from typing import Any


class Deadline:
    """The end of the current send's budget, on the monotonic clock; shared by everything the send uses."""

    def __init__(self) -> None:
        self._ends = math.inf

    def start(self, seconds: float) -> None:
        """Begins a budget of ``seconds`` from now."""
        self._ends = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left of the budget, 0 when it is spent."""
        return max(self._ends - time.monotonic(), 0.0)

    @property
    def passed(self) -> bool:
        return self.left() <= 0

    def bound(self, sock: socket.socket) -> None:
        """Lets the next blocking call on ``sock`` wait only for what is left of the budget.

        Raises ``TimeoutError`` when nothing is left (a timeout of 0 would make the socket non-blocking).
        """
        left = self.left()
        if left <= 0:
            raise TimeoutError("the send's time budget is spent")
        sock.settimeout(left)


class DeadlineReader(io.RawIOBase):
    """Reads from ``sock`` (plain or TLS), each ``recv`` bounded by what is left of ``deadline``; wrap it in
    ``io.BufferedReader`` to read lines. Closing it releases its hold on the socket, never the socket itself
    (the protocol's client closes that), as ``socket.makefile`` does."""

    def __init__(self, sock: socket.socket, deadline: Deadline):
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._deadline.bound(self._sock)
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def timed_out(error: BaseException) -> bool:
    """Whether ``error`` is a timeout, or was raised because of one (smtplib reports a read that timed out
    as ``SMTPServerDisconnected``). Every wait of a send being bounded by its deadline, this is the budget
    running out."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, TimeoutError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False
