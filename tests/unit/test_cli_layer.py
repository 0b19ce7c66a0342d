"""The CLI is one thin layer: every console script is a `main(argv=None, env=None)` in pipelines/cli/,
localaws/cli.py or mlops_demo/cli.py, and nothing else defines a console main or takes an argparse.Namespace."""

from __future__ import annotations

import ast
import importlib
import inspect
import re

from pipelines.config import REPO_ROOT

CLI_MODULES = re.compile(r"^(pipelines/cli/[a-z_]+\.py|localaws/cli\.py|mlops_demo/cli\.py)$")
# Entries that are not console scripts: programs the pipelines' jobs run in their containers, the server
# process `LocalAwsStack` starts, and a generator of checked-in files.
NOT_CONSOLE = {"localaws/server.py", "pipelines/monitoring/data_quality.py", "pipelines/ack/schema.py"}


def console_scripts() -> list[str]:
    tree = ast.parse((REPO_ROOT / "setup.py").read_text())
    [scripts] = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == "CONSOLE_SCRIPTS" for t in node.targets)]
    return [element.value for element in scripts.elts]


def library_files():
    for package in ("pipelines", "localaws", "mlops_demo"):
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT).as_posix()
            if not CLI_MODULES.match(relative) and "/scripts/" not in relative:
                yield relative, ast.parse(path.read_text())


def test_every_console_script_is_a_main_of_the_cli_layer():
    scripts = console_scripts()
    assert len(scripts) == 11
    for script in scripts:
        name, target = script.split("=")
        module_name, function = target.split(":")
        assert function == "main", script
        assert CLI_MODULES.match(module_name.replace(".", "/") + ".py"), f"{name} is not in the CLI layer"
        parameters = inspect.signature(importlib.import_module(module_name).main).parameters
        assert [(p.name, p.default) for p in parameters.values()] == [("argv", None), ("env", None)], script


def offenders_in(relative: str, tree: ast.AST) -> list[str]:
    offenders = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name == "main" and relative not in NOT_CONSOLE:
            offenders.append(f"{relative}:{node.lineno} defines main")
        for argument in node.args.args + node.args.kwonlyargs:
            if argument.annotation is not None and "Namespace" in ast.unparse(argument.annotation):
                offenders.append(f"{relative}:{node.lineno} {node.name} takes an argparse.Namespace")
    return offenders


def test_nothing_below_the_cli_defines_a_console_main_or_takes_a_namespace():
    assert [offender for relative, tree in library_files() for offender in offenders_in(relative, tree)] == []


def test_the_scan_finds_what_it_looks_for():
    tree = ast.parse("import argparse\ndef main(argv=None):\n    pass\ndef run(args: argparse.Namespace):\n    pass\n")
    assert offenders_in("pipelines/x.py", tree) == ["pipelines/x.py:2 defines main",
                                                    "pipelines/x.py:4 run takes an argparse.Namespace"]
