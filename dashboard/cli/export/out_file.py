"""The file an export writes: --out, checked before any work, and written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from dashboard.cli.common import UserError

OutOption = Annotated[
    Path, typer.Option("--out", metavar="FILE", help="The file to write (replaced if it exists).", show_default=False)
]


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write text (UTF-8) or bytes to path through a temporary file in the same folder: never a
    half-written file."""
    if not path.parent.is_dir():
        raise UserError(f"--out: the folder {str(path.parent)!r} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
