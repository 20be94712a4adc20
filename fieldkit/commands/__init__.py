"""Command-line commands of each area, registered on `fieldkit.cli.main`."""
