"""Figures for the thesis: charts rendered to SVG, PNG or PDF with vl-convert, cached on disk.

A PDF embeds its fonts and keeps its text as text; a PNG is drawn at 300 dpi and says so (its
pHYs chunk), so that a document shows it at the figure's size.

A rendering is keyed by the hash of its Vega-Lite spec (data included), its format and the
vl-convert version, so a rebuild re-renders only the charts whose data changed. The site offers
the PDF and the CSV through one small script per chart (`exports_script`), loaded when a reader
clicks a download button: script files load on file:// where fetching files does not.
The Vega JavaScript bundle is cached the same way.

vl-convert holds the GIL while it renders, so a site build hands each chart's exports (its data
as JSON and CSV, its PDF found in the cache or rendered) to the rendering process (`worker`) and
carries on with the pages meanwhile.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from thesislab.filesystem import atomic_write_bytes
from thesislab.site import worker
from thesislab.site.charts.data import Chart
from thesislab.site.charts.vega import (
    COLUMN_WIDTH_CM,
    FONT_SIZE_PT,
    spec_json,
    vega_lite_json,
    with_data,
)

if TYPE_CHECKING:
    import pandas as pd

Format = Literal["svg", "png", "pdf"]

PNG_PPI = 300
"""Resolution of PNG exports: print quality at the chart's physical size."""

_INCHES_PER_METRE = 100 / 2.54
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_BUNDLE_GLOBALS = "window.vegaEmbed = vegaEmbed;"
"""What the site's script expects the bundle to define (its Vega and Vega-Lite globals would be
null: vega-embed is the way in)."""


def _vl_convert_version() -> str:
    from importlib.metadata import version

    return version("vl-convert-python")


def _cache_path(cache_dir: Path, key: str, suffix: str) -> Path:
    return cache_dir / f"{key}.{suffix}"


def _cached(cache_dir: Path | None, key: str, suffix: str, make: Callable[[], bytes]) -> bytes:
    """`make()`'s bytes, read from `cache_dir` when already there under `key`."""
    if cache_dir is None:
        return make()
    path = _cache_path(cache_dir, key, suffix)
    if path.is_file():
        return path.read_bytes()
    data = make()
    atomic_write_bytes(path, data)
    return data


def _render_key(text: str, output_format: Format) -> str:
    digest = hashlib.sha256(f"{_vl_convert_version()}\n{output_format}\n{text}".encode())
    return digest.hexdigest()[:32]


def with_resolution(png: bytes, ppi: int) -> bytes:
    """A PNG file saying that it has `ppi` pixels per inch: its pHYs chunk (in pixels per metre,
    as PNG counts them) written right after the header, in place of any it had."""
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError("expected a PNG file")
    chunks = []
    position = len(_PNG_SIGNATURE)
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        end = position + 12 + length
        chunks.append(png[position:end])
        position = end
    per_metre = round(ppi * _INCHES_PER_METRE)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)  # unit 1: the metre
    resolution = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body))
    kept = [chunk for chunk in chunks[1:] if chunk[4:8] != b"pHYs"]
    return b"".join([_PNG_SIGNATURE, chunks[0], resolution, *kept])


def render(text: str, output_format: Format, cache_dir: Path | None = None) -> bytes:
    """A Vega-Lite spec (JSON text, data included) as an SVG, PNG or PDF file."""
    import vl_convert

    makers: dict[str, Callable[[], bytes]] = {
        "svg": lambda: vl_convert.vegalite_to_svg(text).encode(),
        "png": lambda: with_resolution(
            bytes(vl_convert.vegalite_to_png(text, ppi=PNG_PPI)), PNG_PPI
        ),
        "pdf": lambda: bytes(vl_convert.vegalite_to_pdf(text)),
    }
    key = _render_key(text, output_format)
    return _cached(cache_dir, key, output_format, makers[output_format])


def chart_file(
    chart: Chart,
    output_format: Format,
    cache_dir: Path | None = None,
    selection: Mapping[str, str] | None = None,
    width_cm: float = COLUMN_WIDTH_CM,
    font_size_pt: float = FONT_SIZE_PT,
) -> bytes:
    """The print version of `chart` as a file, `width_cm` wide with labels `font_size_pt`
    points high; `selection` sets selectors (e.g. the device)."""
    text = vega_lite_json(chart, "print", selection, width_cm, font_size_pt)
    return render(text, output_format, cache_dir)


def _script(chart_id: str, pdf: bytes, csv: str) -> bytes:
    files = json.dumps({"pdf": base64.b64encode(pdf).decode("ascii"), "csv": csv})
    registry = "(window.thesislabExports = window.thesislabExports || {})"
    return f"{registry}[{json.dumps(chart_id)}] = {files};\n".encode()


def _rendered_script(
    chart_id: str,
    print_spec: str,
    tables: dict[str, pd.DataFrame],
    csv: str | pd.DataFrame,
    cache_dir: Path | None,
) -> bytes:
    """The exports script of a chart, from its print spec (without data), its datasets and its
    CSV (or the rows to write it from): the whole job, in the rendering process."""
    spec = with_data(json.loads(print_spec), tables)
    text = csv if isinstance(csv, str) else str(csv.to_csv(index=False))
    return _script(chart_id, render(spec, "pdf", cache_dir), text)


def exports_script(chart: Chart, cache_dir: Path | None = None) -> Future[bytes]:
    """The script that hands the page `chart`'s PDF and CSV when a reader asks for them, made
    by the rendering process (which finds the PDF in `cache_dir` when it was rendered before)."""
    return worker.submit(
        _rendered_script,
        chart.spec.chart_id,
        spec_json(chart.layout, "print"),
        chart.datasets,
        chart.csv() if chart.keyed else chart.csv_rows(),  # its lines kept, or written there
        cache_dir,
    )


def _bundle(cache_dir: Path | None) -> bytes:
    import vl_convert

    key = f"vega-bundle-{_vl_convert_version()}"
    return _cached(
        cache_dir, key, "js", lambda: vl_convert.javascript_bundle(_BUNDLE_GLOBALS).encode()
    )


def vega_bundle(cache_dir: Path | None = None) -> Future[bytes]:
    """Vega, Vega-Lite and vega-embed in one script that defines `vegaEmbed` as a global."""
    if cache_dir is not None:
        cached = _cache_path(cache_dir, f"vega-bundle-{_vl_convert_version()}", "js")
        if cached.is_file():
            return _ready(cached.read_bytes())
    return worker.submit(_bundle, cache_dir)


def _ready(data: bytes) -> Future[bytes]:
    future: Future[bytes] = Future()
    future.set_result(data)
    return future
