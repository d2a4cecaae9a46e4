"""The e-mail renderer (core.ports.EmailRenderer) over the Jinja2 templates in core/templates: `<name>.subject.txt`,
`<name>.txt` and `<name>.html` for each of core.domain.email.EMAIL_TEMPLATES, and `pages/confirm.html`.

HTML is autoescaped (a name such as `<b>Ada</b>` arrives as text, never as markup); plain-text parts and subjects are
not markup and stay as written; the subject is one line (no header injection through a name).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from core.domain.email import RenderedEmail

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
PARTS = ("subject.txt", "txt", "html")


class JinjaEmailRenderer:
    def __init__(self, directory: Path = TEMPLATES_DIR) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(directory)),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html",), disabled_extensions=("txt",), default_for_string=True, default=True
            ),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._directory = directory

    def exists(self, template: str) -> bool:
        return all((self._directory / f"{template}.{part}").is_file() for part in PARTS)

    def render(self, template: str, context: Mapping[str, Any]) -> RenderedEmail:
        if not self.exists(template):
            raise ValueError(f"unknown e-mail template {template!r}")
        subject = self._env.get_template(f"{template}.subject.txt").render(context)
        subject = " ".join(subject.split())
        text = self._env.get_template(f"{template}.txt").render(context)
        html = self._env.get_template(f"{template}.html").render(context)
        return RenderedEmail(subject=subject, text=text, html=html)

    def page(self, *, title: str, message: str, button: str | None = None) -> str:
        """A small HTML page for links opened in a browser (confirm, done, refused); autoescaped."""
        return self._env.get_template("pages/confirm.html").render(title=title, message=message, button=button)
