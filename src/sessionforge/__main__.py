"""``python -m sessionforge``: the same command line as the ``sessionforge`` script."""

from .cli import main

main()
