"""Run a fleet of greenlet deciders and activity workers from an ini file.

Usage: ``python -m swf_gevent.run config.ini``. Example (``examples/demo.ini``)::

    [swf]
    domain = demo
    region = us-east-1              ; optional: else swf.credentials (environment, ~/.swf), boto3
    endpoint_url = local            ; optional: an http(s) URL, or "local" for the embedded endpoint
    poll_timeout = 1                ; optional, seconds the embedded endpoint holds an empty poll (<= 60)
    read_timeout = 70               ; optional, seconds a poll waits for its answer (above poll_timeout)
    log_level = WARNING             ; optional
    debug_loggers = botocore        ; optional: at DEBUG, also botocore's, urllib3's... (they print secrets)
    processes = 1                   ; optional: worker processes (or --processes N), <= 256
    stop_timeout = 10               ; optional, seconds running tasks get at a stop
    hub_block_threshold = 1         ; optional, seconds a greenlet may hold the hub
    unknown_domain_timeout = 120    ; optional, seconds of polls refused UnknownResourceFault before exit 1

    [activities:text]               ; one section per activity worker group
    task_list = text
    greenlets = 200                 ; optional, default 1, <= 10,000 per group
    modules = text_pipeline         ; modules whose @activity functions this group performs (each has one)

    [decider:pipeline]              ; one section per decider group
    greenlets = 20
    workflow = text_pipeline_workflow.text_pipeline  ; @wf.workflow definitions (task list, types, timeouts)

    [decider:low-level]             ; or a hand-written decider class, with its type:
    task_list = pipeline-1
    class = text_pipeline.TextPipeline
    workflow_type = text-pipeline
    workflow_version = 1
    execution_timeout = 3600        ; optional, seconds (registered default, and sent with each start)
    decision_timeout = 60           ; optional, seconds (registered default, and sent with each start)

    [executions]                    ; optional: start executions, exit once all closed
    workflow = pipeline             ; the [decider:<name>] whose workflow type to start
    ; workflow_type = text-pipeline ; which, when its workflow = names several
    count = 500                     ; <= 1,000,000
    input_factory = text_pipeline.execution_input   ; or: input = {"json": "value"}
    timeout = 600                   ; optional, seconds to wait for them (then left open)

    [handlers]                      ; optional: signal handlers
    logging = INFO                  ; log each signal, lines at this level and above
    prometheus = 9100               ; serve metrics on 127.0.0.1:9100 (or host:port); extra [prometheus]
    statsd = 127.0.0.1:8125         ; send metrics to a statsd daemon; extra [statsd]
    statsd_prefix = swf             ; optional, default swf
    mine = mypackage.MyHandler      ; any other key: a handler class by dotted path

The file is UTF-8; ``;`` or ``#`` after whitespace starts a comment, one
with no whitespace before it is part of the value. Names (domain, task
lists, types, versions) follow SWF's rules: no ``:``, ``/``, ``|`` nor
control character, not ``arn``. The region, endpoint URL and key pair the
file leaves unset are resolved by :func:`swf.credentials.resolve_settings`
(``set_aws_credentials``, environment, ``~/.swf``), then boto3's chain; a
region or endpoint URL found there is checked by the file's own rules, the
one line naming where it came from (``AWS_ENDPOINT_URL_SWF``,
``AWS_DEFAULT_REGION``, ``~/.swf [defaults] endpoint_url``...).

Dotted paths import from the config file's directory first. The domain and
the workflow and activity types are registered when missing (a domain
that exists but is deprecated ends the run, naming ``[swf] domain``). Each
StartWorkflowExecution sends the decider group's task list, timeouts and
child policy, so an earlier registration of the type cannot change them;
a fault refusing every start (default undefined, type deprecated, unknown
type, an input over SWF's 32,768 characters) ends the run at the first,
with one line and status 2. The process
has one boto3 SWF client, its pool as large as the number of pollers.
SIGINT and SIGTERM stop the fleet warmly: no new poll, polls under way
end and their tasks run, running tasks get ``stop_timeout`` seconds to
finish and are then failed back (so SWF can hand them out again at
once), and the summary is printed. A second signal stops at once: every
actor is killed, running tasks are left to their SWF timeouts, and the
summary is still printed. A signal before the actors run (while
registration waits on an unreachable or silent endpoint, say) ends the
run at once with one line, status 1. Starting executions stops at the
first signal.

An endpoint that no longer knows the domain (restarted empty) answers
every poll ``UnknownResourceFault``: the actors' warnings of it are kept
to one every 30 s, and after ``unknown_domain_timeout`` seconds of
nothing else the run stops with one line naming the domain, status 1 (a
worker process exits with status 3 for it, and its parent ends the run).

``log_level = DEBUG`` leaves the loggers of botocore, boto3, urllib3 and
s3transfer at INFO: at DEBUG they print task tokens, inputs, results and
the access key id. ``debug_loggers = botocore urllib3`` lets the named ones
log at DEBUG too.

With ``[executions]``, once every execution the run started has closed
the actors stop without waiting out their parked polls: those running no
task are killed. A task such a poll was about to bring is not answered:
SWF hands it out again once its timeout passes. Rates in the summary
count from the first start to the last close, as the progress lines do.
Executions still open at ``[executions] timeout`` stay open.

With ``processes`` above 1 the process is a parent running no actor: it
registers the types, starts that many children, each running every group
of the file with its own hub and client (and, with ``endpoint_url =
local``, all using the parent's one embedded endpoint), starts the
executions and adds up the counts the children report. A crashed child
is restarted with a backoff; a signal to the parent stops every child
warmly. See :mod:`swf_gevent._processes`.

A greenlet that holds the gevent hub (CPU-bound or blocking code in an
activity run in the hub) for ``hub_block_threshold`` seconds or more is
reported: a warning naming it, and the ``hub_blocked`` signal
(:class:`swf_gevent.hub_monitor.HubMonitor`).

The parts: :mod:`swf_gevent._config` reads the file,
:mod:`swf_gevent._runner` composes a run (connection, registration through
:func:`swf.querysets.register`, the fleet of :mod:`swf_gevent._fleet` or of
:mod:`swf_gevent._processes`, the batch of :mod:`swf_gevent._batch`, the
lines of :mod:`swf_gevent._report`); this module parses the arguments,
sets up logging and maps errors to exit statuses.

Exit status: 0 when every execution started completed (or, without
``[executions]``, after a clean stop); 1 when some did not, a signal came
before the fleet ran, or SWF could not be used (one line: unreachable, no
credentials...); 2 for a bad config file, or code or settings it names
failing at startup (a module raising on import, a handler class that
cannot be built, an input factory that raises or returns what JSON cannot
hold or is over SWF's 32,768 characters, no region anywhere, a region or
endpoint URL from the environment or ``~/.swf`` the file would refuse, a
deprecated domain or activity type), with one line naming the file,
section and key (its control characters escaped).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402 - gevent patches before anything imports ssl
import dataclasses  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from typing import TextIO  # noqa: E402

from swf_gevent._config import MAX_PROCESSES, QUIET_LOGGERS, Config, ConfigError, load  # noqa: E402

__all__ = ["main"]


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    """Run the fleet a config file describes; the process exit status.

    :param argv: the arguments after the program name (``["config.ini"]``).
    :param stdout: where the start line, the progress lines and the summary go.
    :param stderr: where an error goes (one line).
    :returns: 0, 1 or 2, as the module docstring says.
    """
    parser = argparse.ArgumentParser(prog="python -m swf_gevent.run", description="Run SWF deciders and workers.")
    parser.add_argument("config", help="the ini file describing the fleet")
    parser.add_argument(
        "--processes",
        type=_processes,
        metavar="N",
        help="worker processes, each its own hub and client (overrides [swf] processes)",
    )
    # A worker process started by a parent runner (swf_gevent._processes): no executions,
    # no registration, reports its counts on stdout; with endpoint_url = local, the
    # parent's endpoint URL.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--local-endpoint", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    try:
        config = load(args.config)
    except ConfigError as err:
        print(err, file=stderr)
        return 2
    if args.processes is not None:
        config = dataclasses.replace(config, processes=args.processes)
    if args.child:
        config = dataclasses.replace(config, processes=1)
        if config.local and not args.local_endpoint:
            parser.error("--child with endpoint_url = local needs --local-endpoint URL")
    _configure_logging(config, args.child)

    from swf.exceptions import SWFError
    from swf_gevent._fleet import EndpointLost
    from swf_gevent._runner import Interrupted, run

    try:
        if args.child:
            from swf_gevent._processes import run_child

            return run_child(config, args.local_endpoint, stdout)
        return run(config, stdout)
    except ConfigError as err:  # found at start-up: the client, a handler, the input factory, the types
        print(err, file=stderr)
        return 2
    except (SWFError, Interrupted, EndpointLost) as err:  # unreachable endpoint, no credentials, a stop request...
        print(f"{args.config}: {err}", file=stderr)
        return 1


def _configure_logging(config: Config, child: bool) -> None:
    """Log to stderr at the config's level; the loggers that print secrets at DEBUG stay at INFO unless named."""
    where = " [%(process)d]" if child or config.processes > 1 else ""
    logging.basicConfig(level=config.log_level, format=f"%(asctime)s %(levelname)s{where} %(name)s: %(message)s")
    if config.log_level == "DEBUG":
        for name in QUIET_LOGGERS:
            if name not in config.debug_loggers:
                logging.getLogger(name).setLevel(logging.INFO)


def _processes(text: str) -> int:
    """``--processes N``: 1 to :data:`~swf_gevent._config.MAX_PROCESSES`."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    if value > MAX_PROCESSES:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_PROCESSES}, got {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())
