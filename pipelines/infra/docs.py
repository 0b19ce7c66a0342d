"""Generates the Inputs and Outputs tables of each Terraform README from its variables.tf and outputs.tf.

Every directory of mlops-infra with a README.md and .tf files (the main root, bootstrap, each module) gets
the tables between the markers below, in declaration order: name, description, type (the type expression
as written, on one line), default (`n/a` when required) for inputs; name and description for outputs.
Anything outside the markers is the README's own prose. Descriptions and defaults come from the HCL parser
checkov also uses (bc-python-hcl2); type expressions from the source text, which the parser does not keep.

    python -m pipelines.cli.infra_docs           # rewrite stale READMEs
    python -m pipelines.cli.infra_docs --check   # exit 4 naming each stale README (`mlops-infra check` does it too)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import hcl2

from pipelines.errors import InfraError, UsageError
from pipelines.infra.terraform import TERRAFORM_ROOT

PROG = "python -m pipelines.cli.infra_docs"
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
TYPE_ATTRIBUTE = re.compile(r"^\s*type\s*=\s*", re.MULTILINE)
BRACKETS = {"(": ")", "{": "}", "[": "]"}


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    type: str
    default: str | None  # rendered as HCL; None when the variable is required


@dataclass(frozen=True)
class Output:
    name: str
    description: str


def documented_dirs(base: Path = TERRAFORM_ROOT) -> list[Path]:
    """The main root, then every directory below it with a README.md and .tf files (not .terraform)."""
    found = [path.parent for path in sorted(base.rglob("README.md"))
             if ".terraform" not in path.parts and any(path.parent.glob("*.tf"))]
    return sorted(found, key=lambda path: (path != base, str(path)))


def _parse(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return hcl2.loads(path.read_text())
    except Exception as error:  # the parser raises lark errors of many kinds
        raise UsageError(f"{path}: not parseable HCL ({type(error).__name__}: {error})") from None


def _type_expression(source_lines: list[str], start: int, end: int) -> str:
    """The `type = ...` expression of the block on lines start..end (1-based), whitespace collapsed."""
    block = "\n".join(source_lines[start - 1:end])
    match = TYPE_ATTRIBUTE.search(block)
    if match is None:
        return "any"
    text, closers, length = block[match.end():], [], None
    for position, character in enumerate(text):
        if character in BRACKETS:
            closers.append(BRACKETS[character])
        elif closers and character == closers[-1]:
            closers.pop()
        elif not closers and character == "\n":
            length = position
            break
    # One attribute per line in the source: on one line they are separated by commas.
    parts = [re.sub(r"\s+#.*$", "", line).strip() for line in text[:length].splitlines()]
    expression = ""
    for part in filter(None, parts):
        joined = not expression or expression.endswith(("(", "{", "[", ",")) or part.startswith((")", "}", "]"))
        expression += ("" if joined else ", ") + part
    expression = " ".join(expression.split())
    return re.sub(r"([({\[]) ", r"\1", re.sub(r" ([)}\]])", r"\1", expression))


def _hcl_value(value) -> str:
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return json.dumps(value)


def _attribute(body: dict, name: str, missing=""):
    """An attribute of a parsed block: bc-python-hcl2 wraps each attribute value in a one-element list."""
    value = body.get(name, [missing])
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def read_variables(directory: Path) -> list[Variable]:
    path = directory / "variables.tf"
    lines = path.read_text().splitlines() if path.exists() else []
    variables = []
    for block in _parse(path).get("variable", []):
        for name, body in block.items():
            default = _hcl_value(_attribute(body, "default")) if "default" in body else None
            variables.append(Variable(name, _attribute(body, "description"),
                                      _type_expression(lines, body["__start_line__"], body["__end_line__"]), default))
    return variables


def read_outputs(directory: Path) -> list[Output]:
    return [Output(name, _attribute(body, "description"))
            for block in _parse(directory / "outputs.tf").get("output", []) for name, body in block.items()]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(directory: Path) -> str:
    """The generated section of `directory`'s README, markers included."""
    lines = [BEGIN, "## Inputs", ""]
    variables = read_variables(directory)
    if variables:
        lines += ["| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
        for variable in variables:
            default = "n/a" if variable.default is None else f"`{_cell(variable.default)}`"
            required = "yes" if variable.default is None else "no"
            lines.append(f"| {variable.name} | {_cell(variable.description)} | `{_cell(variable.type)}` | {default} "
                         f"| {required} |")
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    outputs = read_outputs(directory)
    if outputs:
        lines += ["| Name | Description |", "|---|---|"]
        lines += [f"| {o.name} | {_cell(o.description)} |" for o in outputs]
    else:
        lines.append("No outputs.")
    return "\n".join([*lines, END])


def updated_readme(directory: Path) -> str:
    readme = directory / "README.md"
    text = readme.read_text()
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise UsageError(f"{readme}: needs exactly one {BEGIN} ... {END} section for the generated tables")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return head + render(directory) + tail


def stale_readmes(base: Path = TERRAFORM_ROOT) -> list[Path]:
    """READMEs whose generated section differs from their variables and outputs."""
    return [directory / "README.md" for directory in documented_dirs(base)
            if updated_readme(directory) != (directory / "README.md").read_text()]


def write_readmes(base: Path = TERRAFORM_ROOT) -> list[Path]:
    """Rewrite the stale READMEs; the ones rewritten."""
    stale = stale_readmes(base)
    for readme in stale:
        readme.write_text(updated_readme(readme.parent))
    return stale


def check_readmes(base: Path = TERRAFORM_ROOT) -> None:
    stale = stale_readmes(base)
    if stale:
        names = ", ".join(str(path.relative_to(base.parent)) for path in stale)
        raise InfraError(f"stale Terraform README tables: {names}; regenerate them with `{PROG}`")
