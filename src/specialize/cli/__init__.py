"""Command-line interface: one module per command; each parses arguments, calls the library, prints."""
