"""``python -m assessment.serve``: see :mod:`assessment.serve`."""

from . import main

main()
