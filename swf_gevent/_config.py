"""The runner's ini file: read, checked whole, turned into plain values.

Every mistake is a :class:`ConfigError` naming the file, the section and the
key, found before anything starts. See :mod:`swf_gevent.run` for the
reference of sections and keys.
"""

from __future__ import annotations

import configparser
import importlib
import json
import math
import os
import pkgutil
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from swf import limits
from swf.limits import (
    MAX_DATA_LENGTH,
    MAX_NAME_LENGTH,
    MAX_POLLS_PER_TASK_LIST,
    MAX_VERSION_LENGTH,
    SWF_POLL_HOLD,
    naming_problem,
)
from swf.payloads import OPTIONS, Payloads
from swf_gevent._handler_config import read_handlers
from swf_gevent.pollers import PollerBounds, parse_bounds

__all__ = [
    "ActivityGroup",
    "Config",
    "ConfigError",
    "DeciderGroup",
    "Executions",
    "describe",
    "escape",
    "load",
]

_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")

_KEYS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    # section kind: (required keys, optional keys)
    "payloads": (frozenset(), OPTIONS),
    "swf": (
        frozenset({"domain"}),
        frozenset(
            {
                "region",
                "endpoint_url",
                "local_db",
                "poll_timeout",
                "read_timeout",
                "log_level",
                "debug_loggers",
                "processes",
                "stop_timeout",
                "hub_block_threshold",
                "unknown_domain_timeout",
            }
        ),
    ),
    "activities": (frozenset({"task_list", "modules"}), frozenset({"slots", "pollers", "greenlets"})),
    # either workflow = (and maybe task_list) or class = with task_list, workflow_type, workflow_version
    "decider": (
        frozenset(),
        frozenset(
            {
                "workflow",
                "class",
                "task_list",
                "workflow_type",
                "workflow_version",
                "slots",
                "pollers",
                "greenlets",
                "execution_timeout",
                "decision_timeout",
            }
        ),
    ),
    "executions": (
        frozenset({"workflow", "count"}),
        frozenset({"workflow_type", "input", "input_factory", "timeout"}),
    ),
}

#: Most task slots one ``[activities:<name>]`` or ``[decider:<name>]`` group may have.
MAX_SLOTS = 10_000
#: Most executions ``[executions] count`` may ask for.
MAX_EXECUTIONS = 1_000_000
#: Most worker processes ``[swf] processes`` may ask for.
MAX_PROCESSES = 256
#: SWF's longest execution in seconds: the most ``execution_timeout`` and ``decision_timeout`` may be.
MAX_EXECUTION_TIMEOUT = int(limits.MAX_EXECUTION_TIMEOUT.total_seconds())

# A region name as botocore accepts it (a host label).
_REGION = re.compile(r"^(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$")

#: Seconds the embedded endpoint holds an empty poll when ``poll_timeout`` is not set.
LOCAL_POLL_TIMEOUT = 5.0
#: Seconds running tasks get to finish at a stop when ``stop_timeout`` is not set.
STOP_TIMEOUT = 10.0
#: Seconds a greenlet may hold the hub before a warning, when ``hub_block_threshold`` is not set.
HUB_BLOCK_THRESHOLD = 1.0
#: Seconds a long poll waits for its answer beyond the endpoint's hold, when ``read_timeout`` is not set.
READ_TIMEOUT_MARGIN = 10.0
#: The least default ``read_timeout``, seconds: above SWF's 60 s hold.
MIN_DEFAULT_READ_TIMEOUT = 70.0
#: Seconds of polls answered only ``UnknownResourceFault`` before the run ends, when
#: ``unknown_domain_timeout`` is not set (an endpoint that lost its state).
UNKNOWN_DOMAIN_TIMEOUT = 120.0
#: Loggers kept at INFO at ``log_level = DEBUG`` unless ``debug_loggers`` names them:
#: at DEBUG they print task tokens, inputs, results and the access key id.
QUIET_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


class ConfigError(Exception):
    """A mistake in the config file, as one line: ``file: [section] key: problem``.

    :param path: the config file.
    :param section: the section name, or ``None`` for the file as a whole.
    :param key: the key, or ``None`` for the section as a whole.
    :param problem: what is wrong.
    """

    def __init__(self, path: str, section: str | None, key: str | None, problem: str) -> None:
        where = path
        if section is not None:
            where += f": [{section}]"
            if key is not None:
                where += f" {key}"
        super().__init__(escape(f"{where}: {problem}"))
        self.path = path
        self.section = section
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class ActivityGroup:
    """``[activities:<name>]``: one actor performing one task list's activities in ``slots`` at once."""

    name: str
    task_list: str
    slots: int
    pollers: PollerBounds
    modules: tuple[str, ...]
    registry: Any  # swf_gevent.activities.ActivityRegistry


@dataclass(frozen=True)
class DeciderGroup:
    """``[decider:<name>]``: one actor deciding one task list's decision tasks, ``slots`` at once.

    With ``workflow =``, ``workflows`` holds the ``@wf.workflow`` definitions
    and the type fields are the first one's (what ``[executions]`` starts
    unless it names another); with ``class =``, ``workflows`` is empty.
    """

    name: str
    task_list: str
    slots: int
    pollers: PollerBounds
    decider: Any  # the object with decide()
    workflow_type: str
    workflow_version: str
    execution_timeout: int  # seconds
    decision_timeout: int  # seconds
    workflows: tuple[Any, ...] = ()  # swf_gevent.workflow.WorkflowDefinition
    child_policy: str = "TERMINATE"

    def with_workflow(self, definition: Any) -> DeciderGroup:
        """This group, its type fields those of ``definition`` (one of :attr:`workflows`)."""
        execution, decision = definition.timeouts()
        return replace(
            self,
            workflow_type=definition.name,
            workflow_version=definition.version,
            execution_timeout=int(execution.total_seconds()),
            decision_timeout=int(decision.total_seconds()),
            child_policy=definition.child_policy,
        )


@dataclass(frozen=True)
class Executions:
    """``[executions]``: executions started at launch; the runner exits once all closed."""

    workflow: DeciderGroup
    count: int
    input: Callable[[int], str | None]
    timeout: float | None  # seconds


@dataclass(frozen=True)
class Config:
    """The whole file, checked."""

    path: str
    domain: str
    region: str | None
    endpoint_url: str | None  # a URL, "local", or None for boto3's chain
    poll_timeout: float  # seconds an empty poll is held (the embedded endpoint's; SWF's is 60)
    log_level: str
    activities: tuple[ActivityGroup, ...]
    deciders: tuple[DeciderGroup, ...]
    executions: Executions | None
    handlers: tuple[tuple[str, Any], ...] = field(default=())  # (key, handler factory called without arguments)
    processes: int = 1  # worker processes, each its own hub and client
    stop_timeout: float = STOP_TIMEOUT  # seconds running tasks get at a stop before being failed back
    hub_block_threshold: float = HUB_BLOCK_THRESHOLD  # seconds a greenlet may hold the hub unreported
    read_timeout: float = MIN_DEFAULT_READ_TIMEOUT  # seconds a long poll waits for its answer (above poll_timeout)
    unknown_domain_timeout: float = UNKNOWN_DOMAIN_TIMEOUT  # seconds of nothing but UnknownResourceFault
    debug_loggers: tuple[str, ...] = ()  # loggers of QUIET_LOGGERS let through at DEBUG
    payloads: Payloads = field(default_factory=Payloads)  # [payloads]: every actor's codec chain and store
    local_db: str | None = None  # the embedded endpoint's SQLite file (endpoint_url = local), or None: in memory

    @property
    def local(self) -> bool:
        """Whether the runner starts the embedded local endpoint."""
        return self.endpoint_url == "local"

    @property
    def groups(self) -> tuple[ActivityGroup | DeciderGroup, ...]:
        """Every ``[activities:*]`` and ``[decider:*]`` group."""
        return (*self.activities, *self.deciders)

    @property
    def pollers(self) -> int:
        """The most long polls in flight, all groups together."""
        return sum(g.pollers.maximum for g in self.groups)

    @property
    def slots(self) -> int:
        """Task slots, all groups together."""
        return sum(g.slots for g in self.groups)


def load(path: str) -> Config:
    """Read and check the runner's config file; import the code it names.

    The file's directory is put first on ``sys.path`` (when not there yet),
    so that modules next to it import.

    :param path: the ini file.
    :returns: the checked config.
    :raises ConfigError: the first mistake found.
    """
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=("#", ";"), default_section="\0")
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        with open(path, encoding="utf-8") as stream:
            parser.read_file(stream)
    except OSError as err:
        raise ConfigError(path, None, None, f"cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise ConfigError(
            path, None, None, f"not a UTF-8 text file (byte 0x{err.object[err.start]:02x} at offset {err.start})"
        ) from None
    except ValueError as err:  # a NUL character, among others
        raise ConfigError(path, None, None, f"not a text file: {err}") from None
    except configparser.Error as err:
        raise ConfigError(path, None, None, " ".join(str(err).split())) from None
    directory = str(Path(path).resolve().parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    return _Reader(path, parser).config()


class _Reader:
    def __init__(self, path: str, parser: configparser.ConfigParser) -> None:
        self.path = path
        self.parser = parser
        self.domain = ""
        self.payloads = Payloads()

    def error(self, section: str | None, key: str | None, problem: str) -> ConfigError:
        return ConfigError(self.path, section, key, problem)

    def config(self) -> Config:
        sections = self.parser.sections()
        for section in sections:
            kind = section.split(":", 1)[0]
            if kind not in _KEYS and section != "handlers":
                raise self.error(
                    section,
                    None,
                    "unknown section (expected [swf], [activities:<name>], [decider:<name>], [executions], [handlers], "
                    "[payloads])",
                )
            if kind in ("activities", "decider") and not section.partition(":")[2].strip():
                raise self.error(section, None, f"name the group: [{kind}:<name>]")
            if kind in ("swf", "executions", "payloads") and section != kind:
                raise self.error(section, None, f"unknown section (did you mean [{kind}]?)")
            if section != "handlers":
                self.check_keys(section, kind)
        if "swf" not in sections:
            raise self.error("swf", None, "missing section")

        swf = self.parser["swf"]
        log_level = swf.get("log_level", "WARNING").strip().upper()
        if log_level not in _LOG_LEVELS:
            raise self.error("swf", "log_level", f"must be one of {', '.join(_LOG_LEVELS)}, got {log_level!r}")
        endpoint_url = self.endpoint_url()
        local_db = self.optional_text("swf", "local_db")
        if local_db is None and "local_db" in swf:
            raise self.error(
                "swf", "local_db", "empty: give the database file, or leave the key out to keep state in memory"
            )
        if local_db is not None:
            local_db = os.path.expanduser(local_db)
        if local_db is not None and endpoint_url != "local":
            raise self.error("swf", "local_db", "the embedded endpoint's database: give it with endpoint_url = local")
        region = self.optional_text("swf", "region")
        if region is not None and not region_is_valid(region):
            raise self.error("swf", "region", f"must be an AWS region such as 'us-east-1', got {region!r}")
        default_poll = LOCAL_POLL_TIMEOUT if endpoint_url == "local" else SWF_POLL_HOLD
        poll_timeout = self.number("swf", "poll_timeout", default_poll, SWF_POLL_HOLD)
        domain = self.name("swf", "domain", MAX_NAME_LENGTH)
        self.domain = domain
        self.payloads = (
            Payloads.from_options(
                dict(self.parser["payloads"]), error=lambda key, problem: self.error("payloads", key, problem)
            )
            if "payloads" in sections
            else Payloads()
        )

        activities = tuple(self.activity_group(s) for s in sections if s.startswith("activities:"))
        deciders = tuple(self.decider_group(s) for s in sections if s.startswith("decider:"))
        if not activities and not deciders:
            raise self.error("swf", None, "nothing to run: add an [activities:<name>] or [decider:<name>] section")
        executions = self.executions(deciders) if "executions" in sections else None
        handlers = read_handlers(self, dict(self.parser["handlers"])) if "handlers" in sections else ()
        for key, factory in handlers:
            cls = getattr(factory, "func", factory)  # a stock handler is a functools.partial of its class
            missing = [m for m in ("connect", "disconnect") if not callable(getattr(cls, m, None))]
            if isinstance(cls, type) and missing:
                raise self.error(
                    "handlers",
                    key,
                    f"{cls.__module__}.{cls.__qualname__} has no {' nor '.join(m + '()' for m in missing)} method",
                )
        read_timeout = self.number(
            "swf", "read_timeout", max(MIN_DEFAULT_READ_TIMEOUT, poll_timeout + READ_TIMEOUT_MARGIN)
        )
        if read_timeout <= poll_timeout:
            raise self.error(
                "swf",
                "read_timeout",
                f"must be above the {poll_timeout:g} s the endpoint holds an empty poll (poll_timeout; SWF's is "
                f"{SWF_POLL_HOLD:g}): a poll timing out as a task is handed to it loses that task until its "
                f"own timeout; got {self.parser['swf']['read_timeout']!r}",
            )
        return Config(
            path=self.path,
            domain=domain,
            region=region,
            endpoint_url=endpoint_url,
            poll_timeout=poll_timeout,
            log_level=log_level,
            activities=activities,
            deciders=deciders,
            executions=executions,
            handlers=handlers,
            payloads=self.payloads,
            processes=self.positive_int("swf", "processes", 1, MAX_PROCESSES),
            stop_timeout=self.number("swf", "stop_timeout", STOP_TIMEOUT),
            hub_block_threshold=self.number("swf", "hub_block_threshold", HUB_BLOCK_THRESHOLD),
            read_timeout=read_timeout,
            unknown_domain_timeout=self.number("swf", "unknown_domain_timeout", UNKNOWN_DOMAIN_TIMEOUT),
            debug_loggers=self.logger_names("swf", "debug_loggers"),
            local_db=local_db,
        )

    def check_keys(self, section: str, kind: str) -> None:
        required, optional = _KEYS[kind]
        keys = set(self.parser[section])
        unknown = sorted(keys - required - optional)
        if unknown:
            raise self.error(section, unknown[0], f"unknown key (known: {', '.join(sorted(required | optional))})")
        missing = sorted(required - keys)
        if missing:
            raise self.error(section, missing[0], "missing")

    def text(self, section: str, key: str, limit: int | None = None) -> str:
        value = self.optional_text(section, key)
        if value is None:
            raise self.error(section, key, "must not be empty" if key in self.parser[section] else "missing")
        if limit is not None and len(value) > limit:
            raise self.error(section, key, f"is {len(value)} characters; SWF takes at most {limit}")
        return value

    def name(self, section: str, key: str, limit: int) -> str:
        """A name SWF takes: 1 to ``limit`` characters and :func:`swf.limits.naming_problem` finds nothing."""
        value = self.text(section, key, limit)
        problem = naming_problem(value)
        if problem is not None:
            raise self.error(section, key, problem)
        return value

    def endpoint_url(self) -> str | None:
        """``[swf] endpoint_url``: ``None``, ``"local"``, or an http(s) URL with a host."""
        value = self.optional_text("swf", "endpoint_url")
        if value is None or value == "local":
            return value
        problem = endpoint_url_problem(value)
        if problem is not None:
            raise self.error("swf", "endpoint_url", f"must be {ENDPOINT_URL_RULE}, or 'local', got {value!r}{problem}")
        return value

    def optional_text(self, section: str, key: str) -> str | None:
        value = self.parser[section].get(key)
        if value is None or not value.strip():
            return None
        return value.strip()

    def positive_int(self, section: str, key: str, default: int | None = None, maximum: int | None = None) -> int:
        raw = self.parser[section].get(key)
        if raw is None and default is not None:
            return default
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = 0
        if value < 1:
            raise self.error(section, key, f"must be a positive integer, got {raw!r}")
        if maximum is not None and value > maximum:
            raise self.error(section, key, f"must be at most {maximum:,}, got {raw!r}")
        return value

    def number(self, section: str, key: str, default: float | None, maximum: float | None = None) -> Any:
        raw = self.parser[section].get(key)
        if raw is None:
            return default
        try:
            value = float(raw.strip())
        except ValueError:
            value = -1.0
        if not value > 0 or not math.isfinite(value):
            raise self.error(section, key, f"must be a positive number of seconds, got {raw!r}")
        if maximum is not None and value > maximum:
            raise self.error(section, key, f"must be at most {maximum:g} seconds, got {raw!r}")
        return value

    def logger_names(self, section: str, key: str) -> tuple[str, ...]:
        """Logger names, separated by spaces or commas (``"botocore urllib3"``)."""
        names = tuple((self.optional_text(section, key) or "").replace(",", " ").split())
        for name in names:
            if not all(part.isidentifier() for part in name.split(".")):
                raise self.error(section, key, f"must be logger names such as 'botocore urllib3', got {name!r}")
        return names

    def dotted(self, section: str, key: str, path: str | None = None) -> Any:
        """What the dotted path ``path`` (by default the key's whole value) names, imported."""
        path = self.text(section, key) if path is None else path
        try:
            if not all(part.isidentifier() for part in path.split(".")):
                raise ImportError(f"{path!r} is not a dotted path")
            return pkgutil.resolve_name(path)
        except (ImportError, AttributeError) as err:
            raise self.error(section, key, f"cannot import {path!r}: {err}") from None
        except Exception as err:  # user code: a SyntaxError or any error raised on import
            raise self.error(section, key, f"cannot import {path!r}: {describe(err)}") from None

    def slots_and_pollers(self, section: str) -> dict[str, Any]:
        """``slots`` (or its old name ``greenlets``) and ``pollers``: ``N`` or ``MIN..MAX``."""
        keys = self.parser[section]
        if "slots" in keys and "greenlets" in keys:
            raise self.error(section, "greenlets", "give slots (its new name) or greenlets, not both")
        slots = self.positive_int(section, "greenlets" if "greenlets" in keys else "slots", 1, MAX_SLOTS)
        if "pollers" not in keys:
            return {"slots": slots, "pollers": PollerBounds.default_for(slots)}
        try:
            bounds = parse_bounds(keys["pollers"])
        except ValueError as err:
            raise self.error(section, "pollers", str(err)) from None
        if bounds.maximum > slots:
            raise self.error(
                section,
                "pollers",
                f"maximum {bounds.maximum} is above slots ({slots}): a poller polls only with a free slot",
            )
        if bounds.maximum > MAX_POLLS_PER_TASK_LIST:
            raise self.error(
                section,
                "pollers",
                f"maximum {bounds.maximum} is above SWF's {MAX_POLLS_PER_TASK_LIST:,} polls per task list",
            )
        return {"slots": slots, "pollers": bounds}

    def activity_group(self, section: str) -> ActivityGroup:
        from swf_gevent.activities import ActivityRegistry

        modules = tuple(self.text(section, "modules").replace(",", " ").split())
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception as err:  # user code: a SyntaxError or any error raised on import
                raise self.error(section, "modules", f"cannot import {module!r}: {describe(err)}") from None
        try:
            registry = ActivityRegistry.from_modules(modules)
        except ValueError as err:  # a module without @activity functions, or a type marked twice
            raise self.error(section, "modules", str(err)) from None
        return ActivityGroup(
            name=section.split(":", 1)[1].strip(),
            task_list=self.name(section, "task_list", MAX_NAME_LENGTH),
            **self.slots_and_pollers(section),
            modules=modules,
            registry=registry,
        )

    def decider_group(self, section: str) -> DeciderGroup:
        keys = self.parser[section]
        if "workflow" in keys and "class" in keys:
            raise self.error(section, "class", "give workflow = (@wf.workflow definitions) or class =, not both")
        if "workflow" not in keys and "class" not in keys:
            raise self.error(
                section, "workflow", "missing: name @wf.workflow definitions (workflow =) or a decider class (class =)"
            )
        if "workflow" in keys:
            return self.workflow_group(section)
        for key in ("task_list", "workflow_type", "workflow_version"):
            if key not in keys:
                raise self.error(section, key, "missing (a class = group names its task list and workflow type)")
        cls = self.dotted(section, "class")
        try:
            decider = cls()
        except Exception as err:
            raise self.error(
                section, "class", f"cannot build {self.text(section, 'class')}(): {describe(err)}"
            ) from None
        if not callable(getattr(decider, "decide", None)):
            raise self.error(section, "class", f"{self.text(section, 'class')} has no decide(decision_task) method")
        return DeciderGroup(
            name=section.split(":", 1)[1].strip(),
            task_list=self.name(section, "task_list", MAX_NAME_LENGTH),
            **self.slots_and_pollers(section),
            decider=decider,
            workflow_type=self.name(section, "workflow_type", MAX_NAME_LENGTH),
            workflow_version=self.name(section, "workflow_version", MAX_VERSION_LENGTH),
            execution_timeout=self.positive_int(section, "execution_timeout", 3600, MAX_EXECUTION_TIMEOUT),
            decision_timeout=self.positive_int(section, "decision_timeout", 60, MAX_EXECUTION_TIMEOUT),
        )

    def workflow_group(self, section: str) -> DeciderGroup:
        """``workflow = pkg.flows.order pkg.flows.ship``: ``@wf.workflow`` definitions, one decider for all."""
        from swf_gevent.workflow import WorkflowDecider, WorkflowDefinition

        for key in ("workflow_type", "workflow_version", "execution_timeout", "decision_timeout"):
            if key in self.parser[section]:
                raise self.error(section, key, "comes from the @wf.workflow definitions in a workflow = group")
        definitions: list[WorkflowDefinition] = []
        for path in self.text(section, "workflow").replace(",", " ").split():
            definition = self.dotted(section, "workflow", path)
            if not isinstance(definition, WorkflowDefinition):
                raise self.error(
                    section, "workflow", f"{path} is not a @wf.workflow definition (got {type(definition).__name__})"
                )
            twin = next((d for d in definitions if d.key == definition.key), None)
            if twin is not None:
                raise self.error(
                    section,
                    "workflow",
                    f"workflow type {definition.name!r} version {definition.version!r} is named twice",
                )
            definitions.append(definition)
        named = sorted({d.task_list for d in definitions if d.task_list is not None})
        if "task_list" in self.parser[section]:
            task_list = self.name(section, "task_list", MAX_NAME_LENGTH)
            other = next((d for d in definitions if d.task_list not in (None, task_list)), None)
            if other is not None:
                raise self.error(
                    section,
                    "task_list",
                    f"is {task_list!r}, but workflow {other.name!r} names task list {other.task_list!r}",
                )
        elif len(named) == 1 and all(d.task_list is not None for d in definitions):
            task_list = named[0]
        else:
            which = f"the workflows name {', '.join(map(repr, named))}" if named else "no workflow names one"
            raise self.error(section, "task_list", f"missing: {which}")
        group = DeciderGroup(
            name=section.split(":", 1)[1].strip(),
            task_list=task_list,
            **self.slots_and_pollers(section),
            decider=WorkflowDecider(definitions, payloads=self.payloads, domain=self.domain),
            workflow_type="",
            workflow_version="",
            execution_timeout=0,
            decision_timeout=0,
            workflows=tuple(definitions),
        )
        return group.with_workflow(definitions[0])

    def executions(self, deciders: tuple[DeciderGroup, ...]) -> Executions:
        name = self.text("executions", "workflow")
        group = next((g for g in deciders if g.name == name), None)
        if group is None:
            known = ", ".join(f"{g.name!r}" for g in deciders) or "none"
            raise self.error("executions", "workflow", f"no [decider:{name}] section (deciders: {known})")
        section = self.parser["executions"]
        if "workflow_type" in section:
            wanted = self.text("executions", "workflow_type")
            if not group.workflows:
                raise self.error(
                    "executions", "workflow_type", f"[decider:{name}] is a class = group: it runs one type"
                )
            definition = next((d for d in group.workflows if d.name == wanted), None)
            if definition is None:
                known = ", ".join(repr(d.name) for d in group.workflows)
                raise self.error(
                    "executions", "workflow_type", f"[decider:{name}] runs no {wanted!r} (it runs {known})"
                )
            group = group.with_workflow(definition)
        elif len(group.workflows) > 1:
            known = ", ".join(repr(d.name) for d in group.workflows)
            raise self.error("executions", "workflow_type", f"missing: [decider:{name}] runs {known}; name one")
        if "input" in section and "input_factory" in section:
            raise self.error("executions", "input_factory", "give input or input_factory, not both")
        if "input_factory" in section:
            factory = self.dotted("executions", "input_factory")
            if not callable(factory):
                raise self.error("executions", "input_factory", "must name a function of the execution index")

            path = self.path

            def make_input(index: int) -> str | None:
                try:
                    value = factory(index)
                    text = None if value is None else json.dumps(value, separators=(",", ":"))
                except Exception as err:  # user code: its error, or a value JSON cannot hold
                    raise ConfigError(
                        path, "executions", "input_factory", f"failed for execution {index}: {describe(err)}"
                    ) from None
                if text is not None and len(text) > MAX_DATA_LENGTH:
                    raise ConfigError(
                        path,
                        "executions",
                        "input_factory",
                        f"the input for execution {index} is {len(text)} characters as JSON; "
                        f"SWF takes at most {MAX_DATA_LENGTH} characters",
                    )
                return text

        else:
            raw = self.optional_text("executions", "input")
            if raw is not None:
                try:
                    json.loads(raw)
                except ValueError as err:
                    raise self.error("executions", "input", f"must be JSON: {err}") from None
                if len(raw) > MAX_DATA_LENGTH:
                    raise self.error(
                        "executions",
                        "input",
                        f"is {len(raw)} characters; SWF takes at most {MAX_DATA_LENGTH} characters",
                    )

            def make_input(index: int) -> str | None:
                return raw

        timeout = self.number("executions", "timeout", None)
        return Executions(
            workflow=group,
            count=self.positive_int("executions", "count", None, MAX_EXECUTIONS),
            input=make_input,
            timeout=timeout,
        )


#: What an SWF endpoint URL must be (the embedded endpoint's ``local`` aside).
ENDPOINT_URL_RULE = "an http:// or https:// URL with a host"


def endpoint_url_problem(value: str) -> str | None:
    """``None`` when ``value`` is :data:`ENDPOINT_URL_RULE`; else ``""``, or ``": <why>"`` when it does not parse."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as err:
        return f": {err}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return None


def region_is_valid(value: str) -> bool:
    """Whether ``value`` is a region name botocore accepts (a host label such as ``us-east-1``)."""
    return _REGION.match(value) is not None


def escape(text: str) -> str:
    """``text`` with each character that is not printable (an ANSI escape, NUL, a newline) written as its escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def describe(error: BaseException) -> str:
    """One line for an error of user code: ``"Type: message"`` (the message alone for an ImportError)."""
    if isinstance(error, ImportError) and not isinstance(error, SyntaxError):
        return str(error)
    if isinstance(error, SyntaxError):
        where = f" ({error.filename}, line {error.lineno})" if error.filename else ""
        return f"SyntaxError: {error.msg}{where}"
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
