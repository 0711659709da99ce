"""review: the privacy analysts' web pages over the quarantine (Starlette + Jinja2).

Mounted at ``/review`` on the gate's HTTP listener, or served alone by ``piigate review``.
No page shows an unmasked PII value: pages are built from the quarantine's masked metadata,
never from the sealed message."""
