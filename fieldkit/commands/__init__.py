"""Command-line commands of each feature area, registered in fieldkit/cli.py."""
