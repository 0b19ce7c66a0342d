"""The manifest checks and the definition checks they use load nothing of the local stack: a client command
checks a pipeline definition without the emulator."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Every module of the package, so that a module no caller imports yet is held to the rule too.
PIPELINE_DEFINITION = ("import pkgutil, importlib, pipelines.pipeline_definition as package\n"
                       "for module in pkgutil.iter_modules(package.__path__):\n"
                       "    importlib.import_module(f'{package.__name__}.{module.name}')")


def loaded_project_modules(code: str) -> list[str]:
    """The project's modules loaded in a fresh interpreter once `code` has run."""
    listing = "import json, sys; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'pipelines')))"
    done = subprocess.run([sys.executable, "-c", f"{code}\n{listing}"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("code", ["import pipelines.ack.check", PIPELINE_DEFINITION])
def test_nothing_of_the_local_stack_is_loaded(code):
    loaded = loaded_project_modules(code)

    assert "pipelines.pipeline_definition.step_checks" in loaded
    assert [module for module in loaded if module.startswith("localaws")] == []


def test_the_definition_checks_use_only_the_core():
    loaded = loaded_project_modules(PIPELINE_DEFINITION)

    assert {module for module in loaded if not module.startswith(("pipelines.pipeline_definition", "pipelines.config"))
            } <= {"pipelines", "pipelines.errors"}
