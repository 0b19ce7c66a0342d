"""The booster in a model.tar.gz holding `xgboost-model`, as the built-in XGBoost algorithm writes it.

Images before 1.3-1 pickle the Booster and their serving code unpickles it; later ones save XGBoost's own
format. Both are read from memory, without extracting the archive to disk.
"""

from __future__ import annotations

import io
import pickle
import tarfile
import warnings
from pathlib import Path

import xgboost as xgb

MODEL_FILE = "xgboost-model"
PICKLE_PROTOCOL_MARK = b"\x80"  # the first byte of a pickle of protocol 2 or later


class ModelArchiveError(Exception):
    """The archive holds no booster the XGBoost container could load; the message says why."""


def load_xgboost_model(archive: Path | bytes) -> xgb.Booster:
    """The booster in `archive` (a path or the archive's bytes)."""
    data = archive.read_bytes() if isinstance(archive, Path) else archive
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            member = tar.extractfile(MODEL_FILE)
            if member is None:
                raise KeyError(MODEL_FILE)
            raw = member.read()
    except (tarfile.TarError, KeyError, EOFError, OSError) as error:
        raise ModelArchiveError(f"the model archive has no {MODEL_FILE}: {error}") from None
    if raw[:1] == PICKLE_PROTOCOL_MARK:
        # The archive is one this stack's training wrote or the account's own, as the container trusts it.
        booster = pickle.loads(raw)  # noqa: S301
        if not isinstance(booster, xgb.Booster):
            raise ModelArchiveError(f"{MODEL_FILE} is a pickle of {type(booster).__name__}, not a Booster")
        return booster
    booster = xgb.Booster()
    try:
        with warnings.catch_warnings():  # `xgboost-model` has no extension by the container's convention
            warnings.filterwarnings("ignore", message=".*Unknown file format.*")
            booster.load_model(bytearray(raw))
    except xgb.core.XGBoostError as error:
        raise ModelArchiveError(f"{MODEL_FILE} cannot be loaded: {str(error).splitlines()[0]}") from None
    return booster
