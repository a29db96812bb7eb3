"""Directives that render facts the code holds as data, so the docs never restate them.

``.. signals-catalogue::`` renders :data:`swf_gevent.signals.CATALOGUE`: one
entry per signal with its doc, payload keys, log level and metric names.
``.. command-help:: swf_gevent.run`` includes what ``python -m swf_gevent.run --help`` prints.
``.. runner-output:: examples/troubleshooting/zero.ini`` runs the runner on
that file (relative to the docs) and includes what it printed and its exit status.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


class SignalsCatalogue(SphinxDirective):
    """Every signal of :data:`swf_gevent.signals.CATALOGUE`, in the order declared."""

    has_content = False

    def run(self) -> list[Any]:
        from docutils import nodes

        from swf_gevent.signals import CATALOGUE, DURATION_METRICS

        lines: list[str] = []
        for spec in CATALOGUE.values():
            lines += [
                f".. data:: swf_gevent.signals.{spec.attribute}",
                "",
                f"   ``{spec.name}``: {spec.doc}",
                "",
                f"   :payload: {', '.join(f'``{key}``' for key in spec.payload)}",
                f"   :logged at: {logging.getLevelName(spec.level)}",
                f"   :counter: Prometheus ``swf_{spec.counter}_total``, statsd ``<prefix>.{spec.counter}``",
            ]
            if spec.duration is not None:
                outcome = f", outcome ``{spec.outcome}``" if spec.outcome else ""
                lines.append(
                    f"   :duration: ``swf_{spec.duration}_seconds`` ({DURATION_METRICS[spec.duration]}){outcome}"
                )
            lines.append("")
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="swf_gevent.signals.CATALOGUE"), node)
        return node.children


class CommandHelp(SphinxDirective):
    """The ``--help`` text of ``python -m <module>``, as a literal block."""

    required_arguments = 1

    def run(self) -> list[Any]:
        from docutils import nodes

        module = self.arguments[0]
        done = subprocess.run(
            [sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode != 0:
            raise self.error(f"python -m {module} --help exited {done.returncode}: {done.stderr.strip()[-300:]}")
        block = nodes.literal_block(done.stdout, done.stdout)
        block["language"] = "text"
        return [block]


class RunnerOutput(SphinxDirective):
    """What ``python -m swf_gevent.run FILE`` prints for a file of the docs, with its exit status."""

    required_arguments = 1

    def run(self) -> list[Any]:
        from docutils import nodes

        relative = self.arguments[0]
        path = Path(self.env.srcdir) / relative
        if not path.is_file():
            raise self.error(f"no such file: {relative}")
        self.env.note_dependency(str(path))
        done = subprocess.run(
            [sys.executable, "-m", "swf_gevent.run", path.name],
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        text = f"$ python -m swf_gevent.run {path.name}\n{done.stdout}{done.stderr}$ echo $?\n{done.returncode}\n"
        block = nodes.literal_block(text, text)
        block["language"] = "console"
        return [block]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("runner-output", RunnerOutput)
    app.add_directive("signals-catalogue", SignalsCatalogue)
    app.add_directive("command-help", CommandHelp)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
