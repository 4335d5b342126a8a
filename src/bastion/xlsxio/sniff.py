"""Refuse, quickly and clearly, a file that is not a workbook we should open.

Checked before openpyxl sees the file: its size, its first bytes (a CSV or
text file renamed .xlsx, an old .xls or a password-protected workbook, both
OLE compound files), and for a zip the members' declared sizes (a zip bomb
is refused without inflating anything; Python's zip reader never inflates a
member past its declared size).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from bastion.scenario.errors import Problem, ScenarioError

MAX_FILE_BYTES = 20 * 2**20
"""Largest workbook accepted (20 MiB); the reference scenario's is about 60 kB."""
MAX_UNZIPPED_BYTES = 200 * 2**20
"""Most bytes all members may declare once inflated."""
MAX_MEMBERS = 2_000
"""Most members in the zip (a workbook of 20 sheets has about 40)."""
MAX_RATIO = 200
"""Largest inflation ratio of a member over 1 MiB (XML compresses about 10:1)."""

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")


@dataclass(frozen=True, order=True)
class CellProblem(Problem):
    """A problem in a workbook: `FILE.xlsx:Sheet!C7: path.to.field: message`."""

    cell: str = "workbook"

    def __str__(self) -> str:
        return f"{self.file}:{self.cell}: {self.path}: {self.message}"


def file_error(name: str, message: str) -> ScenarioError:
    """A ScenarioError for the workbook as a whole."""
    return ScenarioError([CellProblem(name, 0, "(file)", message, "workbook")])


def check_workbook_bytes(data: bytes, name: str) -> None:
    """Raise ScenarioError when `data` is not a workbook we can safely open."""
    if not data:
        raise file_error(name, "the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise file_error(name, f"the file is {len(data) / 2**20:.1f} MiB; workbooks are limited to "
                               f"{MAX_FILE_BYTES // 2**20} MiB")
    if data.startswith(_OLE):
        if _ENCRYPTED in data:
            raise file_error(name, "the workbook is password-protected (encrypted): open it in Excel or "
                                   "LibreOffice and save a copy without a password")
        raise file_error(name, "an old Excel 97-2003 (.xls) or other Office file: save it as an Excel "
                               "workbook (.xlsx)")
    if not data.startswith(b"PK\x03\x04"):
        head = data[:512]
        looks_text = all(b >= 0x20 or b in (9, 10, 13) for b in head.replace(b"\xef\xbb\xbf", b""))
        kind = "a text or CSV file" if looks_text else "not a zip file"
        raise file_error(name, f"not an Excel workbook (.xlsx): {kind}; save it from Excel or LibreOffice "
                               "as an Excel workbook")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as error:
        raise file_error(name, f"not a readable Excel workbook: a damaged zip ({error})") from None
    if len(members) > MAX_MEMBERS:
        raise file_error(name, f"the zip holds {len(members):,} members; a workbook has a few dozen "
                               "(refused as a possible zip bomb)")
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise file_error(name, f"the zip would inflate to {total / 2**20:,.0f} MiB; at most "
                               f"{MAX_UNZIPPED_BYTES // 2**20} MiB is accepted (refused as a possible zip bomb)")
    for m in members:
        if m.file_size > 2**20 and m.file_size > MAX_RATIO * max(1, m.compress_size):
            raise file_error(name, f"member {m.filename} would inflate {m.file_size // max(1, m.compress_size):,} "
                                   "times (refused as a possible zip bomb)")
    names = {m.filename for m in members}
    if "xl/workbook.bin" in names:
        raise file_error(name, "a binary workbook (.xlsb): save it as an Excel workbook (.xlsx)")
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise file_error(name, "a zip file, but not an Excel workbook (.xlsx): no xl/workbook.xml inside")


__all__ = ["MAX_FILE_BYTES", "MAX_UNZIPPED_BYTES", "CellProblem", "check_workbook_bytes", "file_error"]
