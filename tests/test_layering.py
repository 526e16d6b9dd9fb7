"""Dependencies point one way: portals -> domain apps -> engine. The domain never imports the web
layer, and the formatting the PDFs and charts share needs no Django."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ("accounts", "policies", "simulations")

# Web-layer files still living in accounts; they move to portals/account in the next step of the
# "one house for three portals" issue, which deletes this list. Nothing else may be added to it.
MOVING_TO_PORTALS = {
    "accounts/views.py",  # portals.access
    "accounts/registration_views.py",  # portals.access
    "accounts/reauth.py",  # portals.access
    # The forms of those views, on the toolkit's Swiss fields (portals/common/fields.py) so a
    # date, an AHV number or a mobile is read the same way everywhere; they move with the views.
    "accounts/forms.py",
    "accounts/registration_forms.py",
}


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
            if name in MOVING_TO_PORTALS:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
            offenders += [f"{name}:{line} imports {module}"
                          for line, module in _imported_modules(tree)
                          if module == "portals" or module.startswith("portals.")]
    assert offenders == []


def test_the_allow_list_names_only_files_that_exist_and_still_need_it():
    # Once a file has moved (or stopped importing portals) its entry must go.
    for name in MOVING_TO_PORTALS:
        path = ROOT / name
        assert path.exists(), name
        modules = [m for _, m in _imported_modules(ast.parse(path.read_text(encoding="utf-8")))]
        assert any(m.startswith("portals") for m in modules), name


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
