"""Command groups of the `fieldkit` command line, one module per area."""
