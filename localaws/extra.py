"""The local stack and the demo come with the platform's `local` extra; a plain `pip install .` has the platform's
commands only. `mlops-local` and `mlops-demo` check first, so a missing extra is one line naming the fix, not a
traceback or a server that dies while starting."""

from __future__ import annotations

import importlib.util

from pipelines.errors import LocalStackError

# One module of each heavy requirement of requirements-local.txt: the server, the jobs, the demo's report.
LOCAL_EXTRA_MODULES = ("moto", "xgboost", "pandas", "optuna", "matplotlib", "jinja2")


def require_local_extra(prog: str) -> None:
    missing = [name for name in LOCAL_EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise LocalStackError(f"{prog} needs the platform's `local` extra ({', '.join(missing)} not installed): "
                              "run `make install` in the checkout, or `pip install '.[local]'`")
