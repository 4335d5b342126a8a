"""Files that are not workbooks are clear errors, no traceback, and nothing is written."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from scenario_helpers import VALID_YAML
from typer.testing import CliRunner
from xlsx_helpers import book_of

from bastion.cli import app
from bastion.scenario import ScenarioError
from bastion.xlsxio import load_workbook_scenario

runner = CliRunner()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in members.items():
            z.writestr(name, body)
    return buf.getvalue()


def _declared_size(data: bytes, member: str, size: int) -> bytes:
    """`data` (a zip) whose central directory declares `member` `size` bytes long once inflated."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02" + b"", 0)
    while at >= 0:
        name_len = struct.unpack_from("<H", out, at + 28)[0]
        if out[at + 46: at + 46 + name_len].decode() == member:
            struct.pack_into("<I", out, at + 24, size)
            return bytes(out)
        at = out.find(b"PK\x01\x02", at + 4)
    raise KeyError(member)


def _ole(*streams: str) -> bytes:
    head = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    return head + b"".join(s.encode("utf-16-le") for s in streams) + b"\0" * 1024


WORKBOOK = book_of(VALID_YAML)
CASES = {
    "renamed CSV": (b"id,name\natm-1,Mine\n", "not an Excel workbook (.xlsx): a text or CSV file; save it from Excel "
                                             "or LibreOffice as an Excel workbook"),
    "empty file": (b"", "the file is empty"),
    "password-protected": (_ole("EncryptionInfo", "EncryptedPackage"),
                           "the workbook is password-protected (encrypted): open it in Excel or LibreOffice and save "
                           "a copy without a password"),
    "old .xls": (_ole("Workbook"), "an old Excel 97-2003 (.xls) or other Office file: save it as an Excel workbook "
                                   "(.xlsx)"),
    "zip bomb (declared size)": (
        _declared_size(_zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>", "xl/big.xml": b"a" * 1000}),
                       "xl/big.xml", 0xF000_0000),
        "the zip would inflate to 3,840 MiB; at most 200 MiB is accepted (refused as a possible zip bomb)"),
    "zip bomb (ratio)": (
        _zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>", "xl/zeros.xml": b"\0" * (8 * 2**20)}),
        "member xl/zeros.xml would inflate "),  # about 1,000 times, as zlib compresses
    "a zip that is not a workbook": (_zip({"word/document.xml": b"<x/>", "[Content_Types].xml": b"<x/>"}),
                                     "a zip file, but not an Excel workbook (.xlsx): no xl/workbook.xml inside"),
    "truncated workbook": (WORKBOOK[: len(WORKBOOK) // 2], None),
    "damaged workbook XML": (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<<<not xml"}), None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_not_a_workbook_is_a_clear_error(case: str, tmp_path: Path) -> None:
    data, message = CASES[case]
    path = tmp_path / "s.xlsx"
    path.write_bytes(data)
    with pytest.raises(ScenarioError) as caught:
        load_workbook_scenario(path)
    problems = caught.value.problems
    assert len(problems) == 1
    text = str(problems[0])
    assert text.startswith(f"{path}:workbook: (file): ")
    if message is not None:
        assert text.startswith(f"{path}:workbook: (file): {message}")
        assert "zip bomb" in text or text == f"{path}:workbook: (file): {message}"
    out = tmp_path / "s.yaml"
    result = runner.invoke(app, ["xlsx", "import", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not out.exists()
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and text in result.output


def test_a_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "none.xlsx")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'none.xlsx'}:workbook: (file): not a file" in result.output


def test_xml_entity_expansion_inside_a_workbook_is_refused() -> None:
    from bastion.xlsxio import read_scenario

    src = zipfile.ZipFile(io.BytesIO(WORKBOOK))
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                body = bomb + body[body.index(b"<worksheet"):].replace(b"<c ", b"<c><is><t>&e9;</t></is></c><c ", 1)
            dst.writestr(info, body)
    with pytest.raises(ScenarioError) as caught:
        read_scenario(out.getvalue(), "bomb.xlsx")
    text = str(caught.value.problems[0])
    assert text.startswith("bomb.xlsx:workbook: (file): cannot read the workbook (ParseError: ")


def test_a_sheet_reaching_the_last_row_and_column_is_read_up_to_the_limits() -> None:
    from xlsx_helpers import open_book, save

    from bastion.scenario import load_text
    from bastion.xlsxio import read_scenario

    wb = open_book(WORKBOOK)
    wb["Items"].cell(row=1_048_576, column=16_384, value="far away")
    scenario, warnings = read_scenario(save(wb), "far.xlsx")
    assert scenario == load_text(VALID_YAML)
    assert warnings == ['far.xlsx: sheet "Items" reaches beyond row 20,000 or column IV; nothing there is read']
