"""``python -m pydtrace``: the dtrace command."""

from pydtrace.cli import main

raise SystemExit(main())
