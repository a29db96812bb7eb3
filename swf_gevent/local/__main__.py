"""``python -m swf_gevent.local``: serve an SWF endpoint until SIGINT/SIGTERM.

Prints the endpoint URL on one line (and with ``--ui`` the web UI's address,
``<endpoint URL>/ui/``, on the next; with ``--db`` the database's path, on
the next), then serves; a signal stops it cleanly
(exit status 0). With ``--db FILE`` its state is kept in that SQLite file and
taken back on the next start; a file that cannot be used (another program's,
a newer version's, corrupt, in use, in a directory it cannot write) is one
line on stderr and exit status 2.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402

log = logging.getLogger(__name__)


def _port(text: str) -> int:
    """``--port``: an integer from 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to 65535, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 0 to 65535, got {port}")
    return port


def _seconds(text: str) -> float:
    """``--poll-timeout``: a finite number of seconds, at least 0."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, got {text!r}")
    return seconds


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m swf_gevent.local",
        description="Serve an Amazon SWF endpoint (JSON 1.0 protocol) until SIGINT or SIGTERM: "
        "in memory, or kept in a SQLite file with --db.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="TCP port; 0 picks a free one (default: 0)")
    parser.add_argument(
        "--poll-timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="seconds a PollFor*Task call waits before answering empty (default: 60)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host; the endpoint has NO authentication",
    )
    parser.add_argument(
        "--db",
        metavar="FILE",
        help="keep domains, executions, histories, tasks and timers in this SQLite file (made when missing) "
        "and go on from it after a restart (default: in memory only)",
    )
    parser.add_argument(
        "--ui",
        action="store_true",
        help="also serve the web UI (executions, histories, timelines) under /ui/ on the same port",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the endpoint; returns the process exit status.

    :param argv: command-line arguments without the program name.
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from swf_gevent.local._server import LocalSWF, StoreError, is_loopback

    if not args.allow_remote and not is_loopback(args.host):
        print(
            f"error: --host {args.host} is not a loopback address and the endpoint has no authentication; "
            "pass --allow-remote to expose it anyway",
            file=sys.stderr,
        )
        return 2
    if args.db is not None and not args.db.strip():
        print(
            "error: --db: empty; give the database file, or leave the option out to keep state in memory",
            file=sys.stderr,
        )
        return 2
    # With --allow-remote and a non-loopback host, LocalSWF logs the warning (once).
    server = LocalSWF(
        host=args.host,
        port=args.port,
        poll_timeout=args.poll_timeout,
        allow_remote=args.allow_remote,
        ui=args.ui,
        db=args.db,
    )
    stopping = gevent.event.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(signum, stopping.set)
    try:
        server.start()
    except StoreError as err:
        print(f"error: --db {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror or err}", file=sys.stderr)
        return 2
    print(server.endpoint_url, flush=True)
    if server.ui_url is not None:
        print(f"web UI: {server.ui_url}", flush=True)
    if args.db is not None:
        print(f"database: {os.path.abspath(args.db)}", flush=True)
    try:
        # A timed wait keeps a live timer on the hub, which a signal watcher alone does not.
        while not stopping.wait(60.0):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
