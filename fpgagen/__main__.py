"""``python -m fpgagen`` runs the CLI."""

from fpgagen.cli.main import main

raise SystemExit(main())
