"""``python -m costlib.probe``: the probe's command line."""

from costlib.probe.cli import main

raise SystemExit(main())
