"""A greenlet actor refuses to start in a process where gevent has not patched socket, saying how to fix it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
{patch}
import sys

from swf.connection import make_client
from swf_gevent.activities import ActivityRegistry
from swf_gevent.actors import GreenletActivityWorker, GreenletDecider

client = make_client(
    region_name="us-east-1", endpoint_url="http://127.0.0.1:9", aws_access_key_id="x", aws_secret_access_key="x"
)
actor = {actor}
try:
    actor.start()
except RuntimeError as err:
    print(err)
    sys.exit(3)
actor.kill()
client.close()
print("started")
"""

_WORKER = 'GreenletActivityWorker("orders", "text", ActivityRegistry.from_functions([]), client=client)'
_DECIDER = 'GreenletDecider("orders", "flow", lambda task: [], client=client)'


def _run(patch: str, actor: str) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(_SCRIPT).format(patch=patch, actor=actor)
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_an_actor_in_an_unpatched_process_refuses_to_start_with_the_fix() -> None:
    """Without monkey.patch_all(), start() raises RuntimeError naming the one line to put first."""
    for actor in (_WORKER, _DECIDER):
        done = _run("", actor)
        assert done.returncode == 3, done.stderr
        assert "gevent has not patched socket" in done.stdout
        assert "'from gevent import monkey; monkey.patch_all()' first thing in the program" in done.stdout


def test_an_actor_in_a_patched_process_starts() -> None:
    """With monkey.patch_all() first thing, the same actor starts."""
    done = _run("from gevent import monkey\nmonkey.patch_all()", _WORKER)
    assert (done.returncode, done.stdout.strip()) == (0, "started"), done.stderr
