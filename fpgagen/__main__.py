"""``python -m fpgagen`` runs the CLI."""

from .cli import main

raise SystemExit(main())
