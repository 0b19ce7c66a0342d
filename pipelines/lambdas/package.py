"""Deterministic zips of the project's Lambda functions, one per function, consumed by the Terraform lambda, alerts
and serving modules.

`<function>.zip` holds the handler module at its root (handler `<function>.handler`, as Terraform names it) and
the project modules it imports, found by reading the import statements of the handler and, transitively, of every
project module it reaches, at their package paths (`pipelines/<file>`), so the handler's `from pipelines...
import` works from the Lambda task root as it does in the repository. The standard library and boto3/botocore
come with the Lambda Python runtime; any other import is an error, since the function could not load.

Terraform compares `filebase64sha256()` of each zip, so a zip must be byte-identical on every build:
fixed timestamps and permissions, sorted members, no directory entries, fixed compression.
"""

from __future__ import annotations

import ast
import sys
import zipfile
from pathlib import Path

LAMBDAS_DIR = Path(__file__).resolve().parent  # pipelines/lambdas/
SOURCE_ROOT = LAMBDAS_DIR.parent.parent  # where the `pipelines` package lives
PROJECT_PACKAGE = "pipelines"
# The functions Terraform deploys: module pipelines/lambdas/<name>.py, zip <name>.zip, handler <name>.handler.
FUNCTIONS = ("endpoint_refresh", "latest_approved_model", "pipeline_alert")
RUNTIME_PACKAGES = frozenset({"boto3", "botocore"})  # installed in the Lambda Python runtime
# The earliest timestamp a zip can hold; any fixed value works, this one says "not a real date".
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--


class LambdaPackageError(Exception):
    """A handler imports something its zip cannot carry and the Lambda runtime does not provide."""


def zip_members(function: str) -> dict[str, Path]:
    """Archive name -> source file of `<function>.zip`: the handler at the root, what it imports under pipelines/."""
    if function not in FUNCTIONS:
        raise LambdaPackageError(f"unknown Lambda function {function!r}: one of {', '.join(FUNCTIONS)}")
    handler = LAMBDAS_DIR / f"{function}.py"
    members = {f"{function}.py": handler}
    pending, seen = _imports(handler, package=None), set()
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _module_file(module)
        members[path.relative_to(SOURCE_ROOT).as_posix()] = path
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
        pending.update(".".join(module.split(".")[:depth]) for depth in range(1, module.count(".") + 1))
        pending.update(_imports(path, package))
    return dict(sorted(members.items()))


def build_lambda_zips(output_dir: Path) -> Path:
    """Write `<output_dir>/<function>.zip` for every function; return output_dir (Terraform's lambda_zip_dir)."""
    for function in FUNCTIONS:
        build_lambda_zip(function, output_dir)
    return Path(output_dir)


def build_lambda_zip(function: str, output_dir: Path) -> Path:
    """Write `<output_dir>/<function>.zip`; return its path."""
    members = zip_members(function)
    target = Path(output_dir) / f"{function}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name, path in sorted(members.items()):
            member = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            member.external_attr = FILE_MODE << 16
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 3  # unix, so the mode above is honoured whatever OS builds it
            archive.writestr(member, path.read_bytes(), compresslevel=9)
    # Replace atomically so a concurrent terraform run never reads a half-written zip.
    temporary.replace(target)
    return target


def _imports(path: Path, package: str | None) -> set[str]:
    """The project modules `path` imports (every import statement, also those inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if _is_project(alias.name, path))
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package, path)
            if _is_project(module, path):
                found.add(module)
                # `from pipelines import s3_uri` imports the submodule pipelines.s3_uri.
                found.update(f"{module}.{alias.name}" for alias in node.names
                             if _exists(f"{module}.{alias.name}"))
    return found


def _absolute(node: ast.ImportFrom, package: str | None, path: Path) -> str:
    if not node.level:
        return node.module or ""
    if package is None:
        raise LambdaPackageError(f"{path}: a handler runs from the zip's root, where a relative import fails; "
                                 f"import from {PROJECT_PACKAGE} by absolute name")
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def _is_project(module: str, path: Path) -> bool:
    top = module.partition(".")[0]
    if top == PROJECT_PACKAGE:
        return True
    if top in sys.stdlib_module_names or top in RUNTIME_PACKAGES:
        return False
    raise LambdaPackageError(f"{path}: imports {module}, which the Lambda runtime does not provide (it has the "
                             f"standard library and {', '.join(sorted(RUNTIME_PACKAGES))}); drop the import")


def _exists(module: str) -> bool:
    base = SOURCE_ROOT.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _module_file(module: str) -> Path:
    base = SOURCE_ROOT.joinpath(*module.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    raise LambdaPackageError(f"a Lambda handler imports {module}, which is not a module of the project")
