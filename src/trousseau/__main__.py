"""`python -m trousseau` and the `trousseau` script: the command line.

The job-process server starts here, before the command line's imports, when the command
will need it (`jobserver.start_if_asked`): it then imports what job processes need while
this process imports the commands.
"""

import sys


def main() -> None:
    from trousseau import jobserver

    jobserver.start_if_asked(sys.argv[1:])

    from trousseau.cli import main as run

    run()


if __name__ == "__main__":
    main()
