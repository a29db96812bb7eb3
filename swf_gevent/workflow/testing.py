"""Testing workflows: :class:`WorkflowEnvironment` runs them on the embedded endpoint, :func:`replay` checks histories.

::

    with WorkflowEnvironment(workflows=[order], activities=[reserve, charge], time_skipping=True) as env:
        run = env.start(order, {"id": "o-1"}, workflow_id="o-1")
        run.signal("approval", {"ok": True})
        assert run.result(timeout=10) == {"id": "o-1", "paid": True}
        history = run.history()
    replay(history, workflows=[order])

Importing this module loads neither gevent nor botocore (:func:`replay` needs
neither); the environment loads them when entered.

The environment is one real SWF engine (:class:`swf_gevent.local.LocalSWF`
on loopback), not a separate in-memory executor: what passes here passes
against SWF's rules.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from swf.exceptions import ValidationError
from swf.models import events as ev
from swf.models.decisions import Decision
from swf.models.events import ExecutionRef
from swf.models.history import DecisionTask, History
from swf.payloads import Payloads
from swf.replay import REPLAY_EXECUTION, REPLAY_TOKEN
from swf_gevent import signals
from swf_gevent.workflow.decider import WorkflowDecider
from swf_gevent.workflow.definition import WorkflowDefinition
from swf_gevent.workflow.errors import NondeterminismError, WorkflowCodeError, WorkflowFailed

__all__ = ["WorkflowEnvironment", "WorkflowRun", "replay"]

log = logging.getLogger(__name__)

#: The decision task list of a workflow definition that names none.
DECISION_TASK_LIST = "workflow-environment-decisions"
#: The activity task list of an activity that names none.
ACTIVITY_TASK_LIST = "workflow-environment-activities"
#: Executions' longest run when the definition gives none: SWF's maximum, one year.
DEFAULT_EXECUTION_TIMEOUT = timedelta(days=365)
#: Decision task timeout when the definition gives none.
DEFAULT_DECISION_TIMEOUT = timedelta(seconds=10)
#: Seconds between two reads of the endpoint's idleness while :meth:`WorkflowEnvironment.sleep` settles.
_SETTLE_POLL = 0.01
#: The test domain's retention: long, as the clock skips ahead (histories are kept past 30-day sleeps).
RETENTION = timedelta(days=90)
#: Seconds between two ``DescribeWorkflowExecution`` calls of :meth:`WorkflowRun.result`.
_RESULT_POLL = 0.02


def replay(
    history: History | DecisionTask,
    workflows: Iterable[WorkflowDefinition],
    *,
    workflow_execution: ExecutionRef | None = None,
    payloads: Payloads | None = None,
) -> list[Decision]:
    """Replay a recorded history with the current workflow code, checking every answered decision task.

    :param history: the whole history (``run.history()``, ``History.load(path)``) or a decision task.
    :param workflows: the ``@wf.workflow`` definitions; the one for the history's workflow type is used.
    :param workflow_execution: ids to give the replay when the source has none; give the
        recorded workflow id when the workflow starts children with default ids (derived from it).
    :param payloads: the :class:`swf.payloads.Payloads` that decodes the history's
        encoded fields and references (fetched from its store).
    :returns: the decisions the code makes after the last recorded event
        (``[]`` when the last decision task was answered).
    :raises swf_gevent.workflow.NondeterminismError: the code issues other commands than were
        recorded, naming the decision task, the event and the ``file:line``.
    :raises swf_gevent.workflow.WorkflowCodeError: the code raised an unexpected error.
    :raises swf.exceptions.ValidationError: a history with no ``WorkflowExecutionStarted`` or decision task.
    """
    decider = WorkflowDecider(workflows, hold=False, payloads=payloads)
    if payloads is not None and isinstance(history, History):
        history = History.from_events(payloads.decode_events(history.to_document()["events"]))
    return decider.decide(_whole_task(history, workflow_execution))


def _whole_task(history: History | DecisionTask, workflow_execution: ExecutionRef | None) -> Any:
    if isinstance(history, DecisionTask):
        return history
    started = history.state.started
    if started is None:
        raise ValidationError("the history has no WorkflowExecutionStarted event")
    starts = history.filter(ev.DecisionTaskStarted)
    if not starts:
        raise ValidationError("the history has no DecisionTaskStarted event")
    return DecisionTask(
        task_token=REPLAY_TOKEN,
        workflow_execution=workflow_execution or REPLAY_EXECUTION,
        workflow_type=started.workflow_type,
        started_event_id=starts[-1].event_id,
        previous_started_event_id=0,
        history=history,
    )


class WorkflowRun:
    """An execution started by :meth:`WorkflowEnvironment.start`, followed across continue-as-new.

    :ivar workflow_id: the workflow id.
    :ivar run_id: the first run's id (:meth:`result` and :meth:`history` follow later runs).
    """

    def __init__(self, env: WorkflowEnvironment, workflow_id: str, run_id: str) -> None:
        self.env = env
        self.workflow_id = workflow_id
        self.run_id = run_id

    def __repr__(self) -> str:
        return f"<WorkflowRun {self.workflow_id} {self.run_id}>"

    def signal(self, name: str, value: Any = None) -> None:
        """Send signal ``name`` to the execution's current run (``SignalWorkflowExecution``, no run id).

        :param name: the signal name.
        :param value: the input, JSON-encoded (``ctx.wait_signal`` decodes it); ``None`` sends none.
        :raises swf.exceptions.DoesNotExistError: the execution has closed.
        """
        params: dict[str, Any] = {"domain": self.env.domain, "workflowId": self.workflow_id, "signalName": name}
        if value is not None:
            params["input"] = self.env._encode(json.dumps(value), "SignalWorkflowExecution.input", self.workflow_id)
        self.env._call("SignalWorkflowExecution", **params)

    def cancel(self) -> None:
        """Ask the current run to cancel (``RequestCancelWorkflowExecution``): ``wf.Cancelled`` in its code.

        :raises swf.exceptions.DoesNotExistError: the execution has closed.
        """
        self.env._call("RequestCancelWorkflowExecution", domain=self.env.domain, workflowId=self.workflow_id)

    def terminate(self, reason: str | None = None, details: str | None = None) -> None:
        """Close the current run now (``TerminateWorkflowExecution``); its code gets no say.

        :param reason: the reason recorded (at most 256 characters).
        :param details: the details recorded.
        :raises swf.exceptions.DoesNotExistError: the execution has closed.
        """
        params: dict[str, Any] = {"domain": self.env.domain, "workflowId": self.workflow_id}
        if reason is not None:
            params["reason"] = reason
        if details is not None:
            params["details"] = details
        self.env._call("TerminateWorkflowExecution", **params)

    def history(self) -> History:
        """The whole history of the latest run (``GetWorkflowExecutionHistory``), following continue-as-new.

        :returns: a :class:`swf.models.History`; the run may still be open.
        """
        return self.histories()[-1]

    def histories(self) -> list[History]:
        """The whole history of every run, first to latest (``GetWorkflowExecutionHistory`` per run).

        Follows each ``WorkflowExecutionContinuedAsNew`` event's new run id.

        :returns: one :class:`swf.models.History` per run; the last may still be open.
        """
        runs = []
        run_id = self.run_id
        while True:
            events = self.env._history(self.workflow_id, run_id)
            runs.append(events)
            continued = events.filter(ev.WorkflowExecutionContinuedAsNew)
            if not continued:
                return runs
            run_id = continued[-1].raw["workflowExecutionContinuedAsNewEventAttributes"]["newExecutionRunId"]

    def result(self, timeout: float | None = None) -> Any:
        """Wait until the execution completes and return its result, decoded from JSON.

        Follows continue-as-new to the last run. With time skipping, the
        endpoint's clock skips only while some caller waits here (an
        execution waiting for a signal would otherwise race to its timeout).
        Polls ``DescribeWorkflowExecution`` every 20 ms.

        :param timeout: seconds of wall time to wait; ``None`` waits for ever.
        :returns: the workflow function's return value (``None`` when it returned nothing).
        :raises swf_gevent.workflow.WorkflowFailed: the last run closed
            ``FAILED``, ``CANCELED``, ``TERMINATED`` or ``TIMED_OUT``
            (its ``status``, ``reason`` and ``details`` say which and why).
        :raises swf_gevent.workflow.WorkflowCodeError: a decision task of the
            run was held (``workflow_task_held``: the code raised, or no longer
            matches its history), raised at once with that error and its
            ``file:line`` rather than after ``timeout``.
        :raises TimeoutError: ``timeout`` seconds passed first.
        """
        import gevent

        with self.env._skipping(), gevent.Timeout(timeout, TimeoutError(f"{self} did not close in {timeout} s")):
            run_id = self.run_id
            while True:
                info = self.env._call(
                    "DescribeWorkflowExecution",
                    domain=self.env.domain,
                    execution={"workflowId": self.workflow_id, "runId": run_id},
                )["executionInfo"]
                if info["executionStatus"] == "OPEN":
                    held = self.env._held.get((self.workflow_id, run_id))
                    if held is not None:
                        raise WorkflowCodeError(f"{self.workflow_id} run {run_id}: its decision task was held: {held}")
                    gevent.sleep(_RESULT_POLL)
                    continue
                events = self.env._history(self.workflow_id, run_id)
                last = events[-1]
                key = last.event_type[:1].lower() + last.event_type[1:] + "EventAttributes"
                attrs = dict(last.raw.get(key) or {})
                if last.event_type == "WorkflowExecutionContinuedAsNew":
                    run_id = attrs["newExecutionRunId"]
                    continue
                if last.event_type == "WorkflowExecutionCompleted":
                    text = self.env.payloads.decode(attrs.get("result"), "WorkflowExecutionCompleted.result")
                    return json.loads(text) if text else None
                reason = attrs.get("reason") or attrs.get("timeoutType")
                raise WorkflowFailed(info.get("closeStatus", last.event_type), reason, attrs.get("details"))


class WorkflowEnvironment:
    """The embedded SWF endpoint with in-process deciders and activity workers, for testing workflows.

    Entering starts :class:`swf_gevent.local.LocalSWF` on loopback, registers a
    domain (90-day retention, as the clock may skip far ahead), every
    workflow type (``RegisterWorkflowType``: the definition's task list,
    execution timeout (one year when unset) and decision timeout (10 s when
    unset)) and every activity type (``RegisterActivityType``: the
    ``@activity``'s timeouts and task list), then one
    :class:`~swf_gevent.actors.GreenletDecider` per decision task list and one
    :class:`~swf_gevent.actors.GreenletActivityWorker` per activity task list.

    With ``time_skipping``, the endpoint's clock jumps to the next due timer
    or timeout whenever no decision or activity task is scheduled or running,
    but only while a caller waits in :meth:`WorkflowRun.result`: a 30-day
    ``ctx.sleep`` takes milliseconds, and a run waiting for a signal does not
    race to its execution timeout between two test steps. :meth:`sleep`
    skips by hand.

    Leaving stops the actors, then replays every recorded history of the
    domain with the given workflows at every decision point: a
    :class:`~swf_gevent.workflow.NondeterminismError` there is raised from the
    ``with`` statement (unless the block already raised), naming the workflow
    id, run id and ``file:line``; then the endpoint stops.

    Retention follows the skipped clock: a run closed more than 90 skipped
    days before the ``with`` block ends has no history left to check.

    Requires gevent's monkey patching (``gevent.monkey.patch_all()`` before
    boto3 or botocore is imported, as every entry point of the toolkit does):
    the workers' polls and the caller's waits share one cooperative socket layer.

    :param workflows: the ``@wf.workflow`` definitions to run.
    :param activities: the ``@activity`` functions (or an
        :class:`~swf_gevent.activities.ActivityRegistry`).
    :param time_skipping: skip time while a caller waits for a result.
    :param domain: the domain registered; a fresh ``test-...`` name by default.
    :param poll_timeout: seconds the endpoint holds an empty poll (short, so closing is quick).
    :param activity_slots: activity tasks each worker runs at once.
    :param payloads: the :class:`swf.payloads.Payloads` of every actor, start,
        signal, result and replay (histories read with :meth:`WorkflowRun.history`
        hold the fields as sent).
    :raises ValueError: the workflows are empty or two share a type.
    :raises RuntimeError: entering in a process gevent has not patched, or entering twice.
    """

    def __init__(
        self,
        workflows: Iterable[WorkflowDefinition],
        activities: Iterable[Callable[..., Any]] | Any = (),
        *,
        time_skipping: bool = True,
        domain: str | None = None,
        poll_timeout: float = 0.5,
        activity_slots: int = 10,
        payloads: Payloads | None = None,
    ) -> None:
        from swf_gevent.activities import ActivityRegistry

        self.workflows = list(workflows)
        if not self.workflows:
            raise ValueError("WorkflowEnvironment needs at least one @wf.workflow definition")
        keys = [w.key for w in self.workflows]
        if len(set(keys)) != len(keys):
            raise ValueError(f"two workflow definitions share a workflow type: {sorted(keys)}")
        self.activities = ActivityRegistry.of(activities)
        self.time_skipping = time_skipping
        self.domain = domain or f"test-{uuid.uuid4().hex[:12]}"
        self.poll_timeout = poll_timeout
        self.activity_slots = activity_slots
        self.payloads = payloads if payloads is not None else Payloads()
        self.local: Any = None
        self.client: Any = None
        self._actors: list[Any] = []
        self._waiting = 0
        self._held: dict[tuple[str, str], str] = {}  # (workflow id, run id) -> the first held task's error
        self._decider: WorkflowDecider | None = None

    def __repr__(self) -> str:
        return f"<WorkflowEnvironment {self.domain}>"

    # -- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> WorkflowEnvironment:
        if self.local is not None:
            raise RuntimeError("a WorkflowEnvironment is entered once; make a new one")
        from gevent import monkey

        if not monkey.is_module_patched("socket"):
            raise RuntimeError(
                "WorkflowEnvironment needs gevent's monkey patching: call gevent.monkey.patch_all() "
                "before importing boto3 or botocore"
            )
        from swf.connection import make_client
        from swf_gevent.local import LocalSWF

        self.local = LocalSWF(poll_timeout=self.poll_timeout, time_skipping=False)
        self.local.start()
        try:
            self.client = make_client(
                region_name="us-east-1",
                endpoint_url=self.local.endpoint_url,
                aws_access_key_id="local",
                aws_secret_access_key="local",
                max_pool_connections=64,
                max_attempts=1,
            )
            self._register()
            self._start_actors()
        except BaseException:
            self._stop_actors()
            self.local.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop_actors()
        try:
            broken = self.check_replay()
        finally:
            self.local.stop()
        if broken and exc is None:
            first = broken[0]
            more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
            raise NondeterminismError(f"{first}{more}", first.site) from first

    def _register(self) -> None:
        from swf.models import ActivityType, Domain, WorkflowType
        from swf.querysets import register

        domain = Domain(self.domain, retention_period=RETENTION, client=self.client)
        types: list[WorkflowType | ActivityType] = [
            w.workflow_type(
                domain,
                DECISION_TASK_LIST,
                execution_timeout=DEFAULT_EXECUTION_TIMEOUT,
                decision_timeout=DEFAULT_DECISION_TIMEOUT,
            )
            for w in self.workflows
        ]
        types += [a.activity_type(domain, ACTIVITY_TASK_LIST) for a in self.activities]
        register(domain, types)

    def _start_actors(self) -> None:
        from swf_gevent.activities import ActivityRegistry
        from swf_gevent.actors import GreenletActivityWorker, GreenletDecider

        decider = self._decider = WorkflowDecider(self.workflows, payloads=self.payloads, domain=self.domain)
        signals.workflow_task_held.connect(self._on_held, sender=decider)
        for task_list in sorted({w.task_list or DECISION_TASK_LIST for w in self.workflows}):
            self._actors.append(
                GreenletDecider(self.domain, task_list, decider, client=self.client, slots=2, payloads=self.payloads)
            )
        by_list: dict[str, list[Any]] = {}
        for a in self.activities:
            by_list.setdefault(a.task_list or ACTIVITY_TASK_LIST, []).append(a)
        for task_list, definitions in sorted(by_list.items()):
            self._actors.append(
                GreenletActivityWorker(
                    self.domain,
                    task_list,
                    ActivityRegistry(definitions),
                    client=self.client,
                    slots=self.activity_slots,
                    payloads=self.payloads,
                )
            )
        for actor in self._actors:
            actor.start()

    def _on_held(self, sender: Any, *, workflow_id: str, run_id: str, error: str, **_: Any) -> None:
        self._held.setdefault((workflow_id, run_id), error)

    def _stop_actors(self) -> None:
        import gevent

        if self._decider is not None:
            signals.workflow_task_held.disconnect(self._on_held, sender=self._decider)

        actors, self._actors = self._actors, []
        # Together: each waits for its poll under way (up to poll_timeout) to return.
        gevent.joinall([gevent.spawn(actor.stop, timeout=10) for actor in actors], raise_error=True)

    # -- executions ---------------------------------------------------------------------

    def start(self, workflow: WorkflowDefinition, input: Any = None, *, workflow_id: str | None = None) -> WorkflowRun:  # noqa: A002
        """Start an execution of ``workflow`` (``StartWorkflowExecution``).

        :param workflow: one of the environment's definitions.
        :param input: the input, JSON-encoded; ``None`` sends none.
        :param workflow_id: the workflow id; ``"<type name>-<random hex>"`` by default.
        :returns: a :class:`WorkflowRun`.
        :raises ValueError: ``workflow`` is not one of the environment's definitions.
        :raises swf.exceptions.PayloadTooLarge: the input does not fit even after :attr:`payloads`; nothing was sent.
        :raises swf.exceptions.SWFError: SWF refused the start (an open execution has that id...).
        """
        if workflow not in self.workflows:
            raise ValueError(f"workflow {workflow.name!r} version {workflow.version!r} is not in this environment")
        workflow_id = workflow_id or f"{workflow.name}-{uuid.uuid4().hex[:12]}"
        params: dict[str, Any] = {
            "domain": self.domain,
            "workflowId": workflow_id,
            "workflowType": {"name": workflow.name, "version": workflow.version},
        }
        if input is not None:
            params["input"] = self._encode(json.dumps(input), "StartWorkflowExecution.input", workflow_id)
        return WorkflowRun(self, workflow_id, str(self._call("StartWorkflowExecution", **params)["runId"]))

    def sleep(self, duration: timedelta, *, settle_timeout: float = 10.0) -> datetime:
        """Let the workflows settle, skip the endpoint's clock ``duration`` ahead, and let them settle again.

        Settled means no decision task and no activity task is scheduled or
        being worked on (:meth:`swf_gevent.local.LocalSWF.is_idle`): a run
        just started has made its first decisions, an activity scheduled has
        finished. Then every timer and timeout due within ``duration`` fires,
        each at its due time, and the tasks they bring run. So
        ``env.start(...)`` then ``env.sleep(timedelta(hours=5))`` shows the
        run five hours on, waiting where its code waits; a signal sent next
        reaches the code waiting for it.

        :param duration: how far, zero or more (``timedelta(0)`` only settles).
        :param settle_timeout: seconds of wall time to wait for each settling.
        :returns: the endpoint's time after the skip (aware UTC).
        :raises ValueError: a negative duration.
        :raises TimeoutError: the workflows did not settle within ``settle_timeout`` s
            (an activity still running, say).
        """
        if duration < timedelta(0):
            raise ValueError(f"duration must be zero or more, got {duration!r}")
        self._settle(settle_timeout)
        now: datetime = self.local.skip(duration)
        self._settle(settle_timeout)
        return now

    def _settle(self, timeout: float) -> None:
        """Wait until the endpoint is idle, reading it every 10 ms."""
        import gevent

        with gevent.Timeout(timeout, TimeoutError(f"the workflows did not settle within {timeout} s")):
            while not self.local.is_idle():
                gevent.sleep(_SETTLE_POLL)

    def now(self) -> datetime:
        """The endpoint's time, as its event timestamps give it (aware UTC)."""
        return self.local.now()  # type: ignore[no-any-return]

    def check_replay(self) -> list[NondeterminismError]:
        """Replay every recorded history of the domain whose type is one of the workflows, at every decision point.

        Lists the domain's open and closed executions
        (``ListOpenWorkflowExecutions``, ``ListClosedWorkflowExecutions``).

        :returns: the non-determinism found, one error per broken run
            (each message names the workflow id, run id and ``file:line``).
        """
        from swf.models import CLOSED, OPEN, Domain
        from swf.querysets import WorkflowExecutionQuerySet

        known = {w.key for w in self.workflows}
        domain = Domain(self.domain, client=self.client)
        broken: list[NondeterminismError] = []
        for status in (OPEN, CLOSED):
            for execution in WorkflowExecutionQuerySet(domain, client=self.client).filter(status=status):
                workflow_type = execution.workflow_type
                if workflow_type is None or (workflow_type.name, workflow_type.version) not in known:
                    continue
                events = execution.history()
                try:
                    replay(
                        events,
                        self.workflows,
                        workflow_execution=ExecutionRef(execution.workflow_id, execution.run_id),
                        payloads=self.payloads,
                    )
                except NondeterminismError as err:
                    broken.append(err)  # its message names the workflow id, run id and file:line
                except Exception as err:  # a bug the run itself already met: not this check's to report
                    log.info("replay of %s (run %s) raised %r", execution.workflow_id, execution.run_id, err)
        return broken

    # -- calls --------------------------------------------------------------------------

    def _encode(self, text: str, field: str, workflow_id: str) -> str | None:
        return self.payloads.encode(text, field, domain=self.domain, workflow_id=workflow_id)

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        from swf.connection import call

        if self.client is None:
            raise RuntimeError("WorkflowEnvironment is not entered")
        return call(self.client, operation, **params)

    def _history(self, workflow_id: str, run_id: str) -> History:
        from swf.connection import call_pages

        pages = call_pages(
            self.client,
            "GetWorkflowExecutionHistory",
            domain=self.domain,
            execution={"workflowId": workflow_id, "runId": run_id},
        )
        return History.from_pages(list(pages))

    def _skipping(self) -> _Skipping:
        return _Skipping(self)


class _Skipping:
    """Time skipping on while at least one caller is inside (a count, for concurrent waits)."""

    def __init__(self, env: WorkflowEnvironment) -> None:
        self.env = env

    def __enter__(self) -> None:
        env = self.env
        env._waiting += 1
        if env.time_skipping and env._waiting == 1:
            env.local.set_time_skipping(True)

    def __exit__(self, *exc_info: object) -> None:
        env = self.env
        env._waiting -= 1
        if env.time_skipping and env._waiting == 0 and env.local.state == "started":
            env.local.set_time_skipping(False)
