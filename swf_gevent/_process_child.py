"""The child side of :class:`swf_gevent._executors.ProcessPool`.

Run as ``python -m swf_gevent._process_child``. It reads calls from stdin
and writes answers to stdout, each one frame: a 4-byte big-endian length,
then a pickle. A call is ``(function, argument)`` (the function pickled by
reference, so it must be importable by module and name); the answer is
``("ok", value)`` or ``("error", type name, message, traceback text)``,
also when the function raised ``SystemExit`` or ``KeyboardInterrupt``: the
child answers and stays up for the next call.
What the function prints goes to stderr, so it cannot break the frames.
Imports nothing of gevent: the child is a plain Python process.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
import traceback
from typing import Any, BinaryIO

_HEADER = struct.Struct(">I")


def read_frame(stream: BinaryIO) -> Any | None:
    """The next unpickled frame of ``stream``; ``None`` at end of file."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    body = _read_exactly(stream, _HEADER.unpack(header)[0])
    if body is None:
        return None
    return pickle.loads(body)


def write_frame(stream: BinaryIO, value: Any) -> None:
    """Pickle ``value`` into one frame on ``stream`` and flush it."""
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def main() -> None:
    """Answer calls until stdin closes."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    calls = sys.stdin.buffer
    while True:
        try:
            request = read_frame(calls)
        except Exception as err:  # an unpicklable call: answer it, stay up
            write_frame(answers, ("error", type(err).__name__, str(err), traceback.format_exc()))
            continue
        if request is None:
            return
        function, argument = request
        try:
            answer: tuple[Any, ...] = ("ok", function(argument))
            body = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as err:  # SystemExit, KeyboardInterrupt too: the task fails, the child stays
            answer = ("error", type(err).__name__, str(err), traceback.format_exc())
            body = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(_HEADER.pack(len(body)) + body)
        answers.flush()


if __name__ == "__main__":
    main()
