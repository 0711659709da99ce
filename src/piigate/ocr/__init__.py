"""ocr: text read from images, for the ``image`` kind of the extraction table.

    reader.py  ImageReader: skip, remember, limit; one Segment per page (runs in the gate)
    engine.py  read_pages: image bytes → page texts, with Tesseract (runs in a worker)

The OCR noise correction of the text read is ``piigate.extract.ocr_text``. Nothing is imported
here: a worker process unpickling ``read_pages`` imports ``engine`` alone (Pillow, tesserocr).
"""
