"""Kept for `pipelines/config.py` alone, which another branch turns into a package: `read_text_file` lives in
`pipelines.files`, the CLI helpers in `pipelines.cli.support`. Delete this module once config imports
`pipelines.files`."""

from pipelines.files import read_text_file

__all__ = ["read_text_file"]
