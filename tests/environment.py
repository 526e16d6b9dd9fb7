"""The test run's environment, loaded by pytest as a plugin (`-p tests.environment` in
pyproject.toml) before pytest-django imports the settings.

The settings default to production (DEBUG off, SECRET_KEY required); the tests run on the
embedded default, so they ask for it explicitly. Whatever starts pytest (`make test`, .ci/run's
`.venv/bin/python -m pytest`, a plain `pytest`) gets the same settings, and the subprocesses the
tests start (Celery worker, settings checks) inherit them unless they clear them on purpose.
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "1")
