"""``python -m ember``: the ``ember`` command (see :mod:`ember.cli`)."""
import sys

from .cli import main

sys.exit(main())
