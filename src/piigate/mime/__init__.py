"""MIME as any client might read it, for ``piigate.parse``: the names a recipient reads
(``names``), every reading of an ambiguous part (``readings``) and text folded or flowed by
a format or by a mail server on the way (``folds``)."""
