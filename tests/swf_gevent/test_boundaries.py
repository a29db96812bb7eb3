"""What swf_gevent may take from swf: public names only."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _private_imports_of_swf(path: Path) -> list[str]:
    """``module:name`` of each private swf name (or name of a private swf module) imported by ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "swf":
            private_module = any(part.startswith("_") for part in node.module.split("."))
            found += [f"{node.module}:{a.name}" for a in node.names if private_module or a.name.startswith("_")]
    return found


def test_swf_gevent_imports_no_private_name_of_swf() -> None:
    """No module of swf_gevent (the endpoint aside, which imports nothing of swf) imports a private swf name."""
    sources = [p for p in (ROOT / "swf_gevent").rglob("*.py") if "local" not in p.parts]
    found = {str(p.relative_to(ROOT)): _private_imports_of_swf(p) for p in sources}
    assert {path: names for path, names in found.items() if names} == {}
