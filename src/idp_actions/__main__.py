"""``python -m idp_actions`` runs the ``idp`` command line."""

from idp_actions.cli import main

raise SystemExit(main())
