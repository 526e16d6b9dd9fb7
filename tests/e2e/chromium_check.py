"""Says plainly, before the suite runs, whether the browser tests will run."""

from __future__ import annotations

import os
import shutil


def chromium_path() -> str | None:
    candidate = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    if os.path.exists(candidate):
        return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


if __name__ == "__main__":
    path = chromium_path()
    if path:
        print(f"Browser tests: running in {path}")
    else:
        print(
            "Browser tests: SKIPPED - no Chromium found (install Debian's chromium: "
            "apt-get install chromium, or set CHROMIUM_PATH)"
        )
