"""One module per admin view."""
