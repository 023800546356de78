"""Demo data: synthetic weddings for `make demo`."""
