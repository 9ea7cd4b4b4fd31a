"""One module per CLI command; each maps flags onto plain functions."""
