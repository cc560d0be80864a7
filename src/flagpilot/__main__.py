"""`python -m flagpilot`: the `flagpilot` command, for when the script is not on PATH."""

from flagpilot.cli import main

main()
