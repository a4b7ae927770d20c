"""The ./run.sh commands: argument parsing and dispatch (cli.py), one module per group of commands."""
