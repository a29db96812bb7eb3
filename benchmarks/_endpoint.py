"""The local SWF endpoint in a process of its own, for benchmarks that measure a client process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_endpoint(poll_timeout: float) -> tuple[subprocess.Popen[str], str]:
    """``python -m swf_gevent.local`` in its own process; the process and its URL.

    :param poll_timeout: seconds the endpoint holds an empty poll.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.local", "--poll-timeout", str(poll_timeout)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # a measuring process that exits mid-poll is logged there
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise SystemExit(f"the endpoint did not start: {url!r}")
    return process, url
