"""`thesislab models`: list the model families and show what a network is made of.

Nothing here imports a framework: `show` reads the family's plan and counts from it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from thesislab.models.names import read_spec
from thesislab.models.spec import ArchSpec

app = typer.Typer(
    name="models",
    help="The model zoo: architecture families, their layers, widths, parameters and MACs.\n\n"
    "Example: thesislab models show mobilenetv2_d12_er6_w24_se2",
    no_args_is_help=True,
)


def describe(spec: ArchSpec) -> dict[str, Any]:
    """Everything `show` reports about a spec, as plain JSON-ready data."""
    from thesislab.models.counting import count_spec
    from thesislab.models.names import format_name
    from thesislab.models.registry import plan_of, resolve

    resolved = resolve(spec)
    widths = resolved.widths or []
    plan = plan_of(resolved)
    counts = count_spec(resolved)
    return {
        "name": format_name(resolved),
        "spec": resolved.model_dump(),
        "params": counts.params,
        "macs": counts.macs,
        "plan": plan.table(widths),
        "prunable_layers": [
            {
                "name": layer.name,
                "width": width,
                "default": layer.default,
                "multiple_of": layer.multiple_of,
                "removable": layer.removable,
            }
            for layer, width in zip(plan.layers, widths, strict=True)
        ],
        "layers": [
            {
                "name": layer.name,
                "kind": layer.kind,
                "output_shape": list(layer.output_shape),
                "params": layer.params,
                "macs": layer.macs,
            }
            for layer in counts.layers
        ],
    }


def _table(rows: list[list[str]], right_aligned: set[int]) -> str:
    sizes = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.rjust(size) if column in right_aligned else cell.ljust(size)
            for column, (cell, size) in enumerate(zip(row, sizes, strict=True))
        ).rstrip()
        for row in rows
    )


def _plan_table(blocks: list[dict[str, Any]]) -> str:
    """The plan's blocks as a table under a header of their fields (blank where a block has no
    such field, `yes` or blank for flags, numbers right-aligned)."""
    columns = list(dict.fromkeys(key for block in blocks for key in block))

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else ""
        return "" if value is None else str(value)

    numeric = {
        index
        for index, column in enumerate(columns)
        if all(type(block.get(column)) is int for block in blocks)
    }
    rows = [columns] + [[text(block.get(column)) for column in columns] for block in blocks]
    return _table(rows, right_aligned=numeric)


@app.command("list")
def list_families(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """List the model families with their parameters and defaults.

    Example: thesislab models list --json
    """
    from thesislab.models.registry import PARAM_HELP, families

    found = families()
    if as_json:
        data = {
            name: {"summary": family.summary, "defaults": dict(family.defaults)}
            for name, family in found.items()
        }
        typer.echo(json.dumps(data, indent=2))
        return
    for name, family in found.items():
        typer.echo(f"{name}: {family.summary}")
        for key, default in family.defaults.items():
            typer.echo(f"  {f'{key}={default}':<20} {PARAM_HELP[key]}")


@app.command()
def show(
    name_or_spec: Annotated[
        str,
        typer.Argument(
            help="A thesis name (res-40-2, mobilenetv1_d15_w32_se2), an ArchSpec JSON object, "
            "or the path of a .json file holding one."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show a network's plan (its blocks), prunable widths, layers, parameters and MACs.

    Example: thesislab models show '{"family": "wideresnet", "params": {"depth": 16}}' --json
    """
    report = describe(read_spec(name_or_spec)[0])
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    params = " ".join(f"{key}={value}" for key, value in report["spec"]["params"].items())
    typer.echo(f"{report['name']} ({report['spec']['family']}): {params}")
    typer.echo(f"parameters: {report['params']:,}  MACs: {report['macs'] / 1e6:.2f} M\n")
    typer.echo(f"stem: {report['plan']['stem']}")
    typer.echo(_plan_table(report["plan"]["blocks"]) + "\n")
    widths = [["prunable layer", "width", "default"]] + [
        [layer["name"], str(layer["width"]), str(layer["default"])]
        for layer in report["prunable_layers"]
    ]
    typer.echo(_table(widths, right_aligned={1, 2}) + "\n")
    rows = [["layer", "type", "output", "params", "MACs"]] + [
        [
            layer["name"],
            layer["kind"],
            "x".join(map(str, layer["output_shape"])),
            f"{layer['params']:,}",
            f"{layer['macs']:,}",
        ]
        for layer in report["layers"]
    ]
    typer.echo(_table(rows, right_aligned={3, 4}))
