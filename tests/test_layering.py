"""Dependencies point one way: portals -> domain apps -> engine. The domain never imports the web
layer, and the formatting the PDFs and charts share needs no Django."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ("accounts", "policies", "simulations")



def _imported_modules(tree: ast.AST):
    for node in ast.walk(tree):  # walks function bodies too: a lazy import counts
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def test_the_domain_apps_import_nothing_from_portals():
    offenders = []
    for package in DOMAIN:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
            offenders += [f"{name}:{line} imports {module}"
                          for line, module in _imported_modules(tree)
                          if module == "portals" or module.startswith("portals.")]
    assert offenders == []


def test_swiss_formatting_loads_without_django():
    # The engine's own no-Django test lives in tests/simulations/test_cli.py.
    probe = (
        "import sys; import policies.swiss as s; "
        "assert s.chf(1234.5) == \"CHF 1'234.50\"; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
