"""``python -m nsl`` is ``nslc``."""
from nsl.cli import main

raise SystemExit(main())
