"""Where the page of each model configuration lives, for the pages, tables and charts that link
to it.

Model pages are written straight into the built site (not through Markdown), one per
configuration, as `models/<config_id>.html`; `models/index.md` is the generated page that lists
them and lends them its look.
"""

from __future__ import annotations

MODELS_DIR = "models"
MODELS_INDEX = f"{MODELS_DIR}/index.md"

HREF_EXPRESSION = f"'{MODELS_DIR}/' + datum.config_id + '.html'"
"""The Vega expression of a chart point's link, relative to the site's root."""


def model_page(config_id: str) -> str:
    """Site path of the page of the model configuration `config_id`."""
    return f"{MODELS_DIR}/{config_id}.html"
