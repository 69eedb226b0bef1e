"""Allow `python -m a2bench`."""

from a2bench.cli import main

main()
