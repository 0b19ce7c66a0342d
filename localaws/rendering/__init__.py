"""What the console and the demo report share: the stylesheet, the template macros (components.html.j2) and the
filters they use, so an ARN, a status or a parameter list looks and wraps the same in both.

Pure rendering: it reads no AWS and no state, so the stack's console and the demo's report (a client of the stack)
both import it."""

from __future__ import annotations

import re
from importlib import resources

import jinja2
from markupsafe import Markup, escape

TEMPLATES = resources.files(__package__).joinpath("templates")
# Long identifiers (ARNs, S3 URIs, job names) may break after these, never inside a word.
_SEPARATORS = re.compile(r"(?<=[:/_.,=&?-])")


def breakable(value: object) -> Markup:
    """`value` escaped, with a line-break opportunity (<wbr>) after each separator of an ARN or URI."""
    return Markup("<wbr>").join(escape(part) for part in _SEPARATORS.split(str(value)))


def stylesheet() -> Markup:
    return Markup(resources.files(__package__).joinpath("static", "pages.css").read_text(encoding="utf-8"))  # noqa: S704 - our own file


def environment(*template_dirs: object, undefined: type[jinja2.Undefined] = jinja2.Undefined) -> jinja2.Environment:
    """A jinja2 environment that finds `template_dirs` first, then the shared components. The console's default
    `undefined` renders an absent optional field of an AWS answer (FailureReason ...) as empty."""
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in (*template_dirs, TEMPLATES)])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=undefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["breakable"] = breakable
    env.globals["stylesheet"] = stylesheet
    return env
