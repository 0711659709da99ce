"""extract: ParsedMessage → Extraction (text of each part, each attachment's grade).

One explicit table maps a sniffed kind to the function that reads it (``registry.py``).
Content the gate cannot read is a blocking Defect, never silently clean.
"""

from __future__ import annotations

from piigate.extract.registry import extract, reads_as_text_only, with_images

__all__ = ["extract", "reads_as_text_only", "with_images"]
