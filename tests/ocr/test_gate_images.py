"""Images through the running SMTP gate, and the gate's start-up without an OCR engine."""

from __future__ import annotations

import asyncio
import json
import random
import signal
from pathlib import Path

from piigate.ocr.reader import FROM_IMAGE
from tests.conftest import RunningGate, Sink, send
from tests.detection.generate import Values
from tests.integration.test_cli import (
    free_port,
    run_cli,
    serve_env,
    spawn_serve,
    wait_for_port,
)
from tests.ocr.corpus import encoded, form_lines, phone_photo, render_lines, render_sheet
from tests.synthetic import message


async def test_a_screenshot_of_ssns_is_refused_by_the_gate_naming_the_image(
    gate: RunningGate, sink: Sink
) -> None:
    """A screenshot of a spreadsheet of SSNs sent through SMTP to an external recipient is
    refused with 550; the reply tells the sender the text was read from the image."""
    sheet, _ = render_sheet(Values(random.Random(11)), 3, 110)
    raw = message(
        body="Numbers attached.\n",
        attachments=(
            ("Screenshot 2026-11-30.png", encoded(sheet.convert("RGB"), "PNG"), "image/png"),
        ),
    )
    code, reply = await send(gate.address, raw)
    assert code == 550
    # the date in the name is masked in the reply like any number of six digits or more
    assert "Screenshot ****-**-**.png" in reply and FROM_IMAGE in reply
    assert sink.messages == []


def test_piigate_scan_refuses_a_scanned_form_a_screenshot_and_a_photo(tmp_path: Path) -> None:
    """`piigate scan --json` refuses a scanned form, a screenshot and a phone photo of a
    spreadsheet of SSNs for an external recipient, each finding placed in the image."""
    v = Values(random.Random(21))
    form = render_lines(form_lines(v, 2)[0], 200)
    sheet, _ = render_sheet(v, 3, 110)
    photo = phone_photo(render_sheet(v, 4, 200)[0], v.rng)
    images = {
        "form.png": encoded(form, "PNG"),
        "screenshot.png": encoded(sheet.convert("RGB"), "PNG"),
        "IMG_2041.jpg": encoded(photo, "JPEG"),
    }
    files = []
    for name, data in images.items():
        kind = "image/jpeg" if name.endswith(".jpg") else "image/png"
        path = tmp_path / f"{name}.eml"
        path.write_bytes(message(body="Attached.\n", attachments=((name, data, kind),)))
        files.append(str(path))
    result = run_cli("scan", "--json", "--to", "bob@fbi.gov", *files, cwd=tmp_path)
    assert result.returncode == 3, result.stderr[-2000:]  # 3: something was refused
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["action"] for line in lines] == ["reject"] * 3
    for line, name in zip(lines, images, strict=True):
        places = {f["where"] for f in line["findings"] if f["type"] == "US_SSN"}
        assert places == {f"attachment {name} {FROM_IMAGE}"}


async def test_serve_says_at_start_up_that_images_cannot_be_read(tmp_path: Path) -> None:
    """`piigate serve` on a machine without the OCR model logs, at start-up, that image
    content is unscannable, and still starts."""
    from tests.conftest import start_sink

    sink = await start_sink()
    port = free_port()
    env = {**serve_env(tmp_path), "PIIGATE_OCR__TESSDATA": str(tmp_path / "no-model")}
    assert run_cli("keys", "init", cwd=tmp_path, env=env).returncode == 0
    proc = spawn_serve(tmp_path, port, sink.address, env)
    try:
        await asyncio.to_thread(wait_for_port, port, proc, 180)
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(proc.communicate, None, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(None, 30)
        await sink.stop()
    events = [json.loads(line) for line in stderr.splitlines()]
    unavailable = [e for e in events if e["event"].startswith("OCR engine unavailable")]
    assert len(unavailable) == 1 and "eng.traineddata" not in unavailable[0]["event"]
    assert "no English model" in unavailable[0]["reason"]
