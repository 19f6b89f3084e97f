"""The built-in field types, one module per family; importing this package registers them all.

server/forms/registry.py explains what a field type is and how to add one.
"""

from server.forms.fields import choices, dates, exact, files, numbers, picker, rows, text

__all__ = ["choices", "dates", "exact", "files", "numbers", "picker", "rows", "text"]
