"""The command line's commands, one module per group (``eval.py``: eval, merge, report, import, genselect; ...),
each with one ``add_commands(sub)`` that adds its subparsers and handlers. ``cli.py`` routes to them; nothing
else imports this package. ``common.py`` and ``run_flags.py`` hold what several groups share."""
