"""Reading the files a command is given and writing the ones it makes: every way of failing is one UsageError
(exit 2) naming the option, the path and what is wrong, and a write leaves all of its files or none."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pipelines.errors import UsageError


def read_text_file(path: Path, what: str, error: type[UsageError] = UsageError) -> str:
    """The UTF-8 text of `path`; every way of failing is one `error` (exit 2) naming the file and the fix."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory; give the path of the {what}") from None
    except PermissionError:
        raise error(f"{path}: {what} is not readable (permission denied): fix its permissions") from None
    except UnicodeDecodeError as decode:
        raise error(f"{path}: {what} is not UTF-8 text (byte {decode.start}: {decode.reason}): "
                    "save it as UTF-8") from None
    except OSError as other:
        raise error(f"{path}: cannot read the {what}: {other.strerror or other}") from None


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(".")


def _folder_problem(path: Path) -> str | None:
    """Why `path` cannot be (or be made) a writable folder, or None."""
    existing = _nearest_existing(path)
    if existing == path:
        if not path.is_dir():
            return f"{path} is a file, not a folder"
        if not os.access(path, os.W_OK | os.X_OK):
            return f"the folder {path} is not writable (permission denied)"
        return None
    if not existing.is_dir():
        return f"its parent {existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"the parent folder {existing} is not writable (permission denied), so it cannot be created"
    return None


def check_output_dir(path: Path, option: str) -> Path:
    """Check that `path` is, or can be made, a writable folder, before anything is computed or written.

    Nothing is created here: a command that fails later leaves no empty folder behind.
    """
    path = Path(path)
    problem = _folder_problem(path)
    if problem:
        raise UsageError(f"{option} {path}: {problem}: give a writable folder")
    return path


def check_output_file(path: Path, option: str) -> Path:
    """Check that `path` names a file that can be written (its folder is, or can be made, writable)."""
    path = Path(path)
    if path.is_dir():
        problem = "is a folder"
    elif path.exists() and not os.access(path, os.W_OK):
        problem = "the file is not writable (permission denied)"
    else:
        problem = _folder_problem(path.parent)
    if problem:
        raise UsageError(f"{option} {path}: {problem}: give the path of a file to write")
    return path


def write_files(directory: Path, texts: Mapping[str, str], option: str) -> list[Path]:
    """Write every file or none: each is written to a temporary name first, then renamed into place."""
    directory = check_output_dir(Path(directory), option)
    staged: list[tuple[str, Path]] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
            staged.append((temporary, directory / name))
            with os.fdopen(handle, "w") as stream:
                stream.write(text)
        for temporary, final in staged:
            os.replace(temporary, final)
    except OSError as error:
        raise UsageError(f"{option} {directory}: cannot write there ({error.strerror or error}): "
                         "give a writable folder") from None
    finally:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
    return [directory / name for name in texts]


def write_file(path: Path, text: str, option: str) -> Path:
    """Write one file whole or not at all (a temporary file renamed into place)."""
    path = check_output_file(Path(path), option)
    return write_files(path.parent, {path.name: text}, f"{option} {path}: folder")[0]
