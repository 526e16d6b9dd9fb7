from __future__ import annotations

from simulations.cli import main

raise SystemExit(main())
