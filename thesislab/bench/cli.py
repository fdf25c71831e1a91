"""`thesislab devices list|add|check|remove`, `thesislab protocols list|show`, `thesislab bench`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thesislab.bench.devices import DEFAULT_KNOWN_HOSTS, Runtime
from thesislab.bench.protocol import DEFAULT_PRESET, PRESETS
from thesislab.errors import ThesislabError
from thesislab.options import InventoryOption
from thesislab.records import Protocol

if TYPE_CHECKING:
    from thesislab.bench.measure import BenchOutcome
    from thesislab.records import MeasurementRecord, Protocol
    from thesislab.store import Store

devices_app = typer.Typer(
    help="Devices to measure latency on: this machine ('local') and SSH hosts.\n\n"
    "Example: thesislab devices add pi3 --host 192.168.1.20 --user pi "
    "--key-file ~/.ssh/id_ed25519 --trust-host-key",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="Device name in the inventory.")]


@devices_app.command("list")
def list_devices(inventory: InventoryOption = None) -> None:
    """List the devices of the inventory, 'local' first.

    Example: thesislab devices list --inventory devices.yaml
    """
    from rich.console import Console
    from rich.table import Table

    from thesislab.bench.devices import Inventory

    loaded = Inventory.load(inventory)
    table = Table("name", "address", "runtime", "workdir", title=f"devices ({loaded.path})")
    for spec in loaded.all():
        runtime = spec.benchmark_model if spec.runtime == "benchmark_model" else spec.runtime
        table.add_row(spec.name, spec.address, runtime, spec.workdir if spec.is_remote else "")
    Console().print(table)


@devices_app.command("add")
def add_device(
    name: NameArgument,
    host: Annotated[
        str | None, typer.Option("--host", help="SSH host name or address; none = this machine.")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="SSH port.")] = 22,
    user: Annotated[str | None, typer.Option("--user", help="SSH user.")] = None,
    key_file: Annotated[
        str | None,
        typer.Option("--key-file", help="Private key file (its path is stored, never the key)."),
    ] = None,
    known_hosts: Annotated[
        str, typer.Option("--known-hosts", help="known_hosts file that host keys are checked in.")
    ] = DEFAULT_KNOWN_HOSTS,
    workdir: Annotated[
        str, typer.Option("--workdir", help="Remote directory for uploaded files.")
    ] = "thesislab-bench",
    runtime: Annotated[
        Runtime, typer.Option("--runtime", help="How latency is measured on the device.")
    ] = "litert-python",
    python: Annotated[
        str, typer.Option("--python", help="Remote Python with ai-edge-litert or tflite-runtime.")
    ] = "python3",
    benchmark_model: Annotated[
        str | None,
        typer.Option(
            "--benchmark-model", help="Path of benchmark_model (runtime benchmark_model)."
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", help="Seconds allowed to connect, start a command and answer a probe."
        ),
    ] = 20.0,
    keepalive: Annotated[
        float,
        typer.Option(
            "--keepalive",
            help="Seconds without news from a running command after which the link is probed.",
        ),
    ] = 5.0,
    trust_host_key: Annotated[
        bool,
        typer.Option(
            "--trust-host-key",
            help="Fetch the host's key now and record it in known_hosts (check its fingerprint).",
        ),
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Replace a device of this name.")] = (
        False
    ),
    inventory: InventoryOption = None,
) -> None:
    """Add a device to the inventory; with --trust-host-key, record its SSH host key.

    Example: thesislab devices add pi3 --host 192.168.1.20 --user pi --key-file ~/.ssh/id_ed25519
    --runtime benchmark_model --benchmark-model /home/pi/benchmark_model --trust-host-key
    """
    from thesislab.bench.devices import Inventory, make_spec

    loaded = Inventory.load(inventory)
    fields = {
        "name": name,
        "host": host,
        "port": port,
        "user": user,
        "key_file": key_file,
        "known_hosts": known_hosts,
        "workdir": workdir,
        "runtime": runtime,
        "python": python,
        "benchmark_model": benchmark_model,
        "timeout_s": timeout,
        "keepalive_s": keepalive,
    }
    spec = make_spec(fields, "devices add")
    if trust_host_key and spec.is_remote:
        from thesislab.bench.ssh import trust_host_key as trust

        typer.echo(f"trusted host key of {spec.address}: {trust(spec)} (in {spec.known_hosts})")
    loaded.add(spec, replace=replace)
    typer.echo(f"added {spec.name} ({spec.address}) to {loaded.path}")


@devices_app.command("check")
def check_device(name: NameArgument, inventory: InventoryOption = None) -> None:
    """Connect to a device and report its CPU, OS, runtime version, frequency governor and, on a
    Raspberry Pi, temperature and throttling.

    Example: thesislab devices check pi3
    """
    from rich.console import Console
    from rich.table import Table

    from thesislab.bench.check import check_device as check
    from thesislab.bench.devices import Inventory
    from thesislab.bench.hosts import open_host
    from thesislab.bench.runtimes import runtime_for

    spec = Inventory.load(inventory).get(name)
    host = open_host(spec)
    try:
        facts = check(host, runtime_for(spec))
    finally:
        host.close()
    table = Table("", "", title=f"{spec.name} ({spec.address})", show_header=False)
    for key, value in asdict(facts).items():
        if value:
            table.add_row(key, value)
    console = Console()
    console.print(table)
    for warning in facts.warnings():
        console.print(f"warning: {warning}", style="yellow")


@devices_app.command("remove")
def remove_device(name: NameArgument, inventory: InventoryOption = None) -> None:
    """Remove a device from the inventory (its known_hosts entry stays).

    Example: thesislab devices remove pi3
    """
    from thesislab.bench.devices import Inventory

    loaded = Inventory.load(inventory)
    loaded.remove(name)
    typer.echo(f"removed {name} from {loaded.path}")


SHORT_ID = 12
"""Characters of a record id shown in tables: a unique prefix that commands accept."""


def bench(
    results: Annotated[
        Path, typer.Option("--results", "-r", help="Results directory holding the artifacts.")
    ],
    artifact_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Artifact record ids (or unique prefixes).", show_default=False),
    ] = None,
    arch: Annotated[
        list[str] | None,
        typer.Option(
            "--arch",
            help="Also measure this architecture untrained (a thesis-style name or an ArchSpec "
            "JSON text or file; repeatable): seeded random weights, converted to each "
            "--quantization; its records get no accuracy.",
            show_default=False,
        ),
    ] = None,
    quantization: Annotated[
        str, typer.Option("--quantization", "-q", help="Quantizations of each --arch.")
    ] = "fp32,int8",
    device: Annotated[str, typer.Option("--device", "-d", help="Device name.")] = "local",
    protocol: Annotated[
        str,
        typer.Option("--protocol", "-p", help=f"Protocol preset: {', '.join(sorted(PRESETS))}."),
    ] = DEFAULT_PRESET,
    threads: Annotated[int | None, typer.Option(min=1, help="Override: threads.")] = None,
    warmup: Annotated[int | None, typer.Option(min=0, help="Override: warm-up runs.")] = None,
    runs: Annotated[int | None, typer.Option(min=1, help="Override: timed runs per call.")] = None,
    passes: Annotated[int | None, typer.Option(min=1, help="Override: shuffled passes.")] = None,
    remeasures: Annotated[
        int | None,
        typer.Option(
            min=0, help="Override: times a model whose passes disagree is measured again."
        ),
    ] = None,
    pause: Annotated[
        float | None, typer.Option(min=0, help="Override: seconds of pause before each call.")
    ] = None,
    min_secs: Annotated[
        float | None, typer.Option(min=0, help="Override: least seconds of timed runs per call.")
    ] = None,
    warmup_min_secs: Annotated[
        float | None, typer.Option(min=0, help="Override: least seconds of warm-up per call.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds allowed for one call.")] = 600.0,
    seed: Annotated[int | None, typer.Option(help="Seed of the shuffled order.")] = None,
    again: Annotated[
        bool,
        typer.Option(
            "--again",
            help="Measure anew the artifacts already measured on the device under the protocol "
            "(by default their measurements are kept).",
        ),
    ] = False,
    inventory: InventoryOption = None,
) -> None:
    """Measure the latency of ARTIFACT_IDS (and of each --arch, untrained) on a device and write
    one measurement record each.

    Each call is a fresh runtime process; the protocol fixes threads, warm-up and timed runs,
    shuffled passes over the artifacts, and the pause before each call. Each artifact's record is
    written as soon as its passes are done, and an artifact already measured on the device under
    the protocol is not measured again (unless --again): after a lost link or Ctrl-C, the same
    command measures what is missing.

    Example: thesislab bench 8c1d2e 51aa07 -d pi3 --protocol thesis2019 --results experiments/wrn

    Example: thesislab bench --arch mobilenetv2_d12_er6_w24 -q int8 --results experiments/mine
    """
    from datetime import UTC, datetime

    from rich.progress import Progress

    from thesislab.bench.devices import Inventory
    from thesislab.bench.hosts import LinkLostError
    from thesislab.bench.measure import BenchOutcome, recorded_measurements, resolve_artifacts
    from thesislab.bench.measure import bench as measure
    from thesislab.bench.protocol import resolve_protocol
    from thesislab.store import Store

    chosen = resolve_protocol(
        protocol,
        threads=threads,
        warmup_runs=warmup,
        runs=runs,
        passes=passes,
        remeasures=remeasures,
        pause_s=pause,
        min_secs=min_secs,
        warmup_min_secs=warmup_min_secs,
    )
    spec = Inventory.load(inventory).get(device)
    store = Store(results)
    artifact_ids = list(artifact_ids or [])
    if arch:
        artifact_ids += _untrained_artifacts(store, arch, quantization)
    if not artifact_ids:
        raise ThesislabError("expected artifact ids or --arch, received neither")
    wanted = list(dict.fromkeys(artifact.id for artifact in resolve_artifacts(store, artifact_ids)))
    earlier = {} if again else recorded_measurements(store, wanted, spec.name, chosen)
    missing = [key for key in wanted if key not in earlier]
    started = datetime.now(UTC)

    def stopped() -> str:
        """What a run that ends early leaves, and how to go on."""
        measured = len(earlier) + len(
            recorded_measurements(store, wanted, spec.name, chosen, since=started)
        )
        rest = (
            "the same command without --again measures the rest"
            if again
            else f"the same command measures the other {len(wanted) - measured}"
        )
        return f"{measured} of {len(wanted)} artifacts measured on {spec.name} and recorded; {rest}"

    outcome = BenchOutcome()
    if missing:
        try:
            with Progress(transient=True) as progress:
                task = progress.add_task(
                    f"measuring on {spec.name}", total=len(missing) * (chosen.passes or 1)
                )
                outcome = measure(
                    store,
                    missing,
                    spec,
                    chosen,
                    call_timeout_s=timeout,
                    seed=seed,
                    on_call=lambda _: progress.advance(task),
                )
        except KeyboardInterrupt:
            typer.echo(f"interrupted: {stopped()}", err=True)
            raise typer.Exit(130) from None
        except LinkLostError as lost:
            raise ThesislabError(f"{lost}; {stopped()}") from None
    _report(wanted, earlier, outcome, chosen, spec.name)


def _report(
    wanted: list[str],
    earlier: dict[str, tuple[str, MeasurementRecord]],
    outcome: BenchOutcome,
    protocol: Protocol,
    device: str,
) -> None:
    """Print the measurements (those kept from before and those just made), the warnings and
    the failures; a failure ends the command with an error."""
    from rich.console import Console
    from rich.table import Table

    from thesislab.bench.protocol import pass_spread

    now = {record.artifact_id: (identifier, record) for identifier, record in outcome.measurements}
    table = Table(
        "artifact", "measurement", f"{protocol.statistic} ms", "mean ms", "spread", "attempts"
    )
    for key in wanted:
        if key not in earlier and key not in now:
            continue
        measurement_id, record = earlier[key] if key in earlier else now[key]
        latency = record.latency
        table.add_row(
            record.artifact_id[:SHORT_ID],
            measurement_id[:SHORT_ID],
            f"{record.latency_ms:.3f}",
            f"{latency.mean_ms:.3f}",
            f"{pass_spread(latency):.1%}",
            str(len(latency.set_aside_pass_means_ms) + 1),
        )
    console = Console()
    console.print(table)
    if earlier:
        console.print(
            f"{len(earlier)} of {len(wanted)} artifacts were measured on {device} under this "
            "protocol before: their measurements are kept (--again measures them anew)",
            highlight=False,
        )
    for warning in outcome.warnings:
        console.print(f"warning: {warning}", style="yellow")
    for artifact_id, reason in outcome.failures.items():
        console.print(f"failed: artifact {artifact_id}: {reason}", style="red", highlight=False)
    if outcome.failures:
        raise ThesislabError(
            f"{len(outcome.failures)} of {len(wanted)} artifacts could not be "
            f"measured on {device} (each listed above with its reason)"
        )


def _untrained_artifacts(store: Store, architectures: list[str], quantizations: str) -> list[str]:
    """Record and convert each architecture untrained; the artifact ids."""
    from thesislab.deploy.convert import parse_variants
    from thesislab.deploy.sources import keras_on_tensorflow
    from thesislab.deploy.untrained import untrained_artifacts
    from thesislab.models.names import read_spec

    chosen = [variant.quantization for variant in parse_variants(quantizations, "int8")]
    specs = [read_spec(text) for text in architectures]
    keras_on_tensorflow()
    made: list[str] = []
    for architecture, name in specs:
        typer.echo(f"converting {name or architecture.family} untrained ({', '.join(chosen)})")
        made += untrained_artifacts(store, architecture, chosen, name=name).values()
    return made


protocols_app = typer.Typer(
    help="Latency protocol presets.\n\nExample: thesislab protocols show thesis2019",
    no_args_is_help=True,
)


@protocols_app.command("list")
def list_protocols(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the protocol presets with their fields.

    Example: thesislab protocols list --json
    """
    if as_json:
        typer.echo(
            json.dumps({name: preset.model_dump(mode="json") for name, preset in PRESETS.items()})
        )
        return
    from thesislab.preset_tables import print_side_by_side

    fields = [key for key in Protocol.model_fields if key != "name"]
    title = f"latency protocols (default: {DEFAULT_PRESET})"
    print_side_by_side(title, dict(sorted(PRESETS.items())), fields)


@protocols_app.command("show")
def show_protocol(
    name: Annotated[str, typer.Argument(help="Preset name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show one protocol preset, field by field ('-': not set).

    Example: thesislab protocols show thesis2019
    """
    from thesislab.bench.protocol import resolve_protocol
    from thesislab.preset_tables import print_fields

    preset = resolve_protocol(name)
    if as_json:
        typer.echo(json.dumps(preset.model_dump(mode="json")))
        return
    print_fields(preset)
