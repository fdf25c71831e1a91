"""The MkDocs plugin that generates the result pages at build time.

In `mkdocs.yml`::

    plugins:
      - thesislab:
          results: [experiments]          # results directories, or folders of them
          cache_dir: .cache/thesislab-site

Generated pages never exist as files in `docs/`: they are added to the build in memory, after the
hand-written pages in the navigation (the home page gets its generated section appended), and
the results directories join `mkdocs serve`'s watch list so a new record rebuilds the site. The
model pages, one per configuration, bypass MkDocs: they are written into the site beside the
models index, in its themed page, after the build; a rebuild keeps those that did not change
(see `thesislab.site.page_files`). The theme's templates are compiled once per process.

Search indexes the generated pages without their tables of results (every table not of class
`tl-indexed`): their rows are figures and the names of models, and parsing every row would be
most of a build's search work. Each model page gets an entry of its own instead: its name, the
other names of its architecture and a few words on what it is (Material's search plugin).

A results folder that does not exist fails the build; the error page (404.html) works from disk.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jinja2
import jinja2.bccache
from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.utils import is_error_template

from thesislab.errors import ThesislabError
from thesislab.site import page_files
from thesislab.site.build import (
    SCRIPTS,
    STYLESHEETS,
    GeneratedSite,
    check_results,
    exported_into,
    generate,
    log,
)
from thesislab.site.links import MODELS_DIR, MODELS_INDEX
from thesislab.site.model_pages import Shell, write_model_pages
from thesislab.site.page import HOME
from thesislab.site.render import EXPORTS_DIR
from thesislab.site.worker import WorkerError
from thesislab.store import RESULTS_ROOT

if TYPE_CHECKING:
    from jinja2 import Environment
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.pages import Page as MkDocsPage


class _CompiledTemplates(jinja2.BytecodeCache):
    """The theme's templates as compiled by an earlier build of this process: MkDocs makes a new
    template environment for each build, which would compile them again (jinja2 compares each
    template's source with the one compiled)."""

    def __init__(self) -> None:
        self.compiled: dict[tuple[str, tuple[str, ...]], bytes] = {}
        self.extensions: tuple[str, ...] = ()
        """The extensions of the environment being served: they change what is compiled."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.compiled.get((bucket.key, self.extensions))
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[(bucket.key, self.extensions)] = bucket.bytecode_to_string()


_THEME_TEMPLATES = _CompiledTemplates()

_RESULT_TABLE = re.compile(r'<table class="(?![^"]*\btl-indexed\b)[^"]*">.*?</table>', re.DOTALL)


class ResultsPluginConfig(Config):  # type: ignore[no-untyped-call]
    """Options of the `thesislab` plugin."""

    results = config_options.ListOfItems(config_options.Type(str), default=[str(RESULTS_ROOT)])
    cache_dir = config_options.Type(str, default=".cache/thesislab-site")


class ResultsPlugin(BasePlugin[ResultsPluginConfig]):  # type: ignore[no-untyped-call]
    """Adds the result pages, generated from the records, to a MkDocs build."""

    def __init__(self) -> None:
        self.site: GeneratedSite | None = None
        self.cache_dir: Path | None = None
        self.home_is_generated = False
        self.serving = False
        self.full_content: str | None = None
        """The content of the page being indexed, while search sees it without its tables."""
        self.shell: Shell | None = None
        """The themed page of the models index, which the model pages are written into."""

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Note whether this is `mkdocs serve` (its builds do not wait for the PDF exports).

        Defining this hook also keeps the plugin alive from one `mkdocs serve` build to the next.
        """
        self.serving = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Generate the pages, add their scripts and stylesheet, navigation and watched paths."""
        if self.site is not None:
            self.site.cancel()
        base = Path(config.config_file_path or ".").resolve().parent
        results = [base / path for path in self.config.results]
        self.cache_dir = base / self.config.cache_dir
        try:
            check_results(results)
            self.site = generate(results, self.cache_dir)
        except ThesislabError as error:
            raise PluginError(str(error)) from None
        config.watch.extend(str(path) for path in results if path.exists())
        config.extra_css.extend(path for path in STYLESHEETS if path not in config.extra_css)
        config.extra_javascript.extend(
            path for path in SCRIPTS if path not in map(str, config.extra_javascript)
        )
        if config.nav is not None:
            config.nav = [*config.nav, *self.site.nav()]
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Set the model pages and chart exports of the last build aside while MkDocs empties
        the site."""
        self.shell = None
        site_dir = Path(config.site_dir)
        page_files.set_aside(site_dir, MODELS_DIR, page_files.wrote_into(site_dir))
        page_files.set_aside(site_dir, EXPORTS_DIR, exported_into(site_dir))

    def on_env(self, env: Environment, /, *, config: MkDocsConfig, files: Files) -> Environment:
        """Compile the theme's templates once per process, not once per build."""
        _THEME_TEMPLATES.extensions = tuple(sorted(env.extensions))
        env.bytecode_cache = _THEME_TEMPLATES
        return env

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        """Add the generated pages and assets to the build."""
        assert self.site is not None
        self.home_is_generated = files.get_file_from_path(HOME) is None
        for page in self.site.pages:
            if page.path == HOME and not self.home_is_generated:
                continue
            if files.get_file_from_path(page.path) is not None:
                raise PluginError(
                    f"expected no {page.path} in {config.docs_dir}: thesislab generates it"
                )
            files.append(File.generated(config, page.path, content=self.site.stub(page)))
        for path, content in self.site.assets.items():
            files.append(File.generated(config, path, content=content))
        return files

    @event_priority(50)  # before the search plugin writes its index
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Write the assets rendered in the background (Vega bundle, PDFs) into the site (under
        `mkdocs serve`, as each is ready, so that the pages are served without waiting) and add
        the model pages to the search index."""
        assert self.site is not None
        site_dir = Path(config.site_dir)
        page_files.put_back(site_dir, MODELS_DIR)
        page_files.put_back(site_dir, EXPORTS_DIR)
        written = 0
        if self.shell is not None:
            written = write_model_pages(self.site.models, self.shell, site_dir, self.cache_dir)
        log.info(
            "thesislab: rendered %d of %d pages, drew %d of %d charts, wrote %d of %d model pages",
            len(self.site.rendered),
            len(self.site.pages),
            len(self.site.drawn),
            self.site.charts,
            written,
            len(self.site.models),
        )
        log.debug("thesislab: rendered pages %s", ", ".join(self.site.rendered))
        log.debug("thesislab: drew charts %s", ", ".join(self.site.drawn))
        try:
            self.site.write_later_assets(site_dir, wait=not self.serving)
        except (OSError, WorkerError) as error:
            raise PluginError(f"rendering the chart exports failed: {error}") from error
        entries = _search_entries(config)
        if entries is not None:
            entries.extend(page.search_entry() for page in self.site.models)

    def on_post_template(
        self, output_content: str, /, *, template_name: str, config: MkDocsConfig
    ) -> str:
        """Make the error page (404.html) work from disk as well as over http."""
        if not is_error_template(template_name):
            return output_content
        return portable_error_page(output_content, urlsplit(config.site_url or "/").path)

    def on_post_page(self, output: str, /, *, page: MkDocsPage, config: MkDocsConfig) -> str:
        """Keep the themed page of the models index, which the model pages are written into
        after the build (see `thesislab.site.model_pages`)."""
        if page.file.src_uri == MODELS_INDEX:
            try:
                self.shell = Shell.of(output, page.title or "")
            except ValueError as error:
                raise PluginError(f"writing the model pages failed: {error}") from None
        return output

    def on_page_content(
        self, html: str, /, *, page: MkDocsPage, config: MkDocsConfig, files: Files
    ) -> str:
        """Put each generated page's body in place; append the home section to the home page."""
        assert self.site is not None
        body = self.site.html.get(page.file.src_uri)
        if body is None:
            return html
        page.meta["hide"] = [*page.meta.get("hide", []), "toc"]  # tables get its width
        if page.file.src_uri == HOME and not self.home_is_generated:
            return html + body
        return body

    @event_priority(50)  # before the search plugin indexes the page
    def _content_for_search(
        self, context: dict[str, Any], /, *, page: MkDocsPage, config: MkDocsConfig, nav: Any
    ) -> dict[str, Any]:
        assert self.site is not None
        self.full_content = None
        if page.file.src_uri in self.site.html and page.content is not None:
            self.full_content = page.content
            page.content = _RESULT_TABLE.sub("", page.content)
        return context

    @event_priority(-50)  # after it
    def _content_for_page(
        self, context: dict[str, Any], /, *, page: MkDocsPage, config: MkDocsConfig, nav: Any
    ) -> dict[str, Any]:
        if self.full_content is not None:
            page.content, self.full_content = self.full_content, None
        return context

    on_page_context = CombinedEvent(_content_for_search, _content_for_page)


def _search_entries(config: MkDocsConfig) -> list[dict[str, str]] | None:
    """The entries of Material's search index, which its plugin writes after the build; None
    without that plugin."""
    for plugin in config.plugins.values():
        entries = getattr(getattr(plugin, "search_index", None), "entries", None)
        if isinstance(entries, list):
            return entries
    return None


_ROOTED = re.compile(r'(\s(?:href|src)=")([^"]*)"')


def portable_error_page(output: str, base: str) -> str:
    """The error page `output`, whose links MkDocs writes from the site's root `base` (it is
    served for a missing address at any depth), with links relative to the site's folder and,
    over http, a `<base>` at that root: it works from disk (file://) too."""

    def relative(found: re.Match[str]) -> str:
        link = found.group(2)
        if not link.startswith(base) or link.startswith("//"):
            return found.group(0)
        return f'{found.group(1)}{link.removeprefix(base) or "index.html"}"'

    rooted = (
        '<script>location.protocol === "file:" || document.head.appendChild('
        f'Object.assign(document.createElement("base"), {{href: {json.dumps(base)}}}))</script>'
    )
    return _ROOTED.sub(relative, output).replace("<head>", f"<head>\n{rooted}", 1)
