"""The LibreOffice-built documents, converted once per test session (LibreOffice takes
seconds a run) and shared by the extraction tests and the gate tests."""

from __future__ import annotations

import random

import pytest

from tests import office_formats
from tests.synthetic import ssn

LibreOfficeDocuments = tuple[dict[str, str], dict[str, bytes]]
"""The SSN put in each place (and ``body``), and the documents by file extension."""


@pytest.fixture(scope="session")
def libreoffice_documents(tmp_path_factory: pytest.TempPathFactory) -> LibreOfficeDocuments:
    if office_formats.libreoffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: `make libreoffice` installs it")
    rng = random.Random(15)
    values = {place: ssn(rng) for place in (*office_formats.WORD_PLACES, "body")}
    return values, office_formats.libreoffice_documents(values, tmp_path_factory.mktemp("lo"))
