"""The Jinja environment for templates/: strict (an undefined name is an error, never an empty
string in generated C++ or Verilog) and whitespace-preserving."""

from __future__ import annotations

from functools import cache

import jinja2

from fpgagen.util.resources import data_dir


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              autoescape=False)


def render(template: str, **context: object) -> str:
    """Render ``templates/<template>`` with ``context``."""
    return environment().get_template(template).render(**context)
