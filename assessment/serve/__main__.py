"""``python -m assessment.serve`` — the run command of scripts/serve.sh."""

from .app import main

main()
