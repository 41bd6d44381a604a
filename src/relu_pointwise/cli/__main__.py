"""``python -m relu_pointwise.cli``: the ``pointwise`` command."""
import sys

from relu_pointwise.cli import main

sys.exit(main())
