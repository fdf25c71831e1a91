"""The device inventory: a YAML file of named machines to measure on.

Where it is, first found wins: `--inventory PATH`, the `THESISLAB_DEVICES` environment variable,
`devices.yaml` in the current (project) directory, `devices.yaml` in the user's config directory.
The device `local` (this machine, LiteRT through the running Python) always exists::

    devices:
      pi3:
        host: 192.168.1.20
        port: 22
        user: pi
        key_file: ~/.ssh/id_ed25519
        known_hosts: ~/.ssh/known_hosts
        workdir: thesislab-bench
        runtime: benchmark_model
        benchmark_model: /home/pi/benchmark_model
        timeout_s: 20
        keepalive_s: 5

The file holds paths to keys, never keys or passwords. A remote device's `timeout_s` bounds
connecting, starting a command and the answer to a probe of the link, which is probed after
`keepalive_s` seconds without news during a command (see `ssh.py`): a link that drops or freezes
ends the work within about `keepalive_s + timeout_s`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field

from thesislab.errors import ThesislabError, validation_message
from thesislab.filesystem import atomic_write_bytes

ENV_VARIABLE = "THESISLAB_DEVICES"
FILE_NAME = "devices.yaml"
LOCAL_NAME = "local"
DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"

Runtime = Literal["litert-python", "benchmark_model"]


class DeviceSpec(BaseModel):
    """One machine: how to reach it and which runtime measures there."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    host: str | None = Field(default=None, description="SSH host; none = this machine.")
    port: int = Field(default=22, ge=1, le=65535)
    user: str | None = None
    key_file: str | None = Field(default=None, description="Private key file (a path).")
    known_hosts: str = DEFAULT_KNOWN_HOSTS
    workdir: str = Field(default="thesislab-bench", description="Remote directory for uploads.")
    runtime: Runtime = "litert-python"
    python: str = Field(default="python3", description="Remote Python with a LiteRT package.")
    benchmark_model: str | None = Field(default=None, description="Path of the binary.")
    timeout_s: float = Field(
        default=20.0,
        gt=0,
        description="Connection, command setup and the answer to a probe of the link.",
    )
    keepalive_s: float = Field(
        default=5.0,
        gt=0,
        description="Silence during a command after which the link is probed: a probe not "
        "answered within timeout_s means the link is lost.",
    )

    @pydantic.model_validator(mode="after")
    def _runtime_has_binary(self) -> DeviceSpec:
        if self.runtime == "benchmark_model" and not self.benchmark_model:
            raise ValueError("runtime benchmark_model needs the path of the binary")
        return self

    @property
    def is_remote(self) -> bool:
        """Whether commands run over SSH."""
        return self.host is not None

    @property
    def address(self) -> str:
        """`user@host:port`, or `this machine`."""
        if self.host is None:
            return "this machine"
        user = f"{self.user}@" if self.user else ""
        return f"{user}{self.host}:{self.port}"


LOCAL = DeviceSpec(name=LOCAL_NAME)


def make_spec(fields: Mapping[str, object], where: str) -> DeviceSpec:
    """A validated device; an invalid field gives a one-line error starting with `where`."""
    try:
        return DeviceSpec.model_validate(fields)
    except pydantic.ValidationError as error:
        raise ThesislabError(
            f"{where}: device {fields.get('name')!r}, {validation_message(error)}"
        ) from None


def inventory_path(explicit: Path | None = None) -> Path:
    """The inventory file to use (it need not exist yet)."""
    if explicit is not None:
        return explicit
    if os.environ.get(ENV_VARIABLE):
        return Path(os.environ[ENV_VARIABLE])
    project = Path(FILE_NAME)
    if project.is_file():
        return project
    import typer

    return Path(typer.get_app_dir("thesislab")) / FILE_NAME


@dataclass
class Inventory:
    """The devices of one inventory file, `local` included."""

    path: Path
    devices: dict[str, DeviceSpec] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Inventory:
        """Read the inventory (an absent file is an empty inventory)."""
        resolved = inventory_path(path)
        if not resolved.is_file():
            return cls(resolved)
        try:
            raw = yaml.safe_load(resolved.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ThesislabError(f"{resolved}: not valid YAML ({error})".splitlines()[0]) from None
        entries = raw.get("devices") if isinstance(raw, dict) else None
        if not isinstance(entries, dict):
            raise ThesislabError(
                f"{resolved}: expected a mapping 'devices: {{NAME: {{host: ...}}}}', "
                f"received {type(entries).__name__}"
            )
        devices = {}
        for name, entry in entries.items():
            if name == LOCAL_NAME:
                raise ThesislabError(f"{resolved}: device name 'local' is built in, choose another")
            if not isinstance(entry, dict):
                raise ThesislabError(
                    f"{resolved}: device {name!r}: expected a mapping of fields, "
                    f"received {type(entry).__name__}"
                )
            devices[name] = make_spec({**entry, "name": name}, str(resolved))
        return cls(resolved, devices)

    def all(self) -> list[DeviceSpec]:
        """`local` first, then the inventory's devices by name."""
        return [LOCAL, *(self.devices[name] for name in sorted(self.devices))]

    def get(self, name: str) -> DeviceSpec:
        """The device called `name`."""
        if name == LOCAL_NAME:
            return LOCAL
        if name not in self.devices:
            known = ", ".join(spec.name for spec in self.all())
            raise ThesislabError(
                f"unknown device {name!r}: expected one of {known} (inventory {self.path})"
            )
        return self.devices[name]

    def add(self, spec: DeviceSpec, *, replace: bool = False) -> None:
        """Add `spec` (or replace a device of the same name when `replace`) and save."""
        if spec.name == LOCAL_NAME:
            raise ThesislabError("device name 'local' is built in, choose another")
        if spec.name in self.devices and not replace:
            raise ThesislabError(
                f"device {spec.name!r} already exists in {self.path}: "
                "expected a new name, or --replace"
            )
        self.devices[spec.name] = spec
        self.save()

    def remove(self, name: str) -> None:
        """Remove the device `name` and save."""
        if name == LOCAL_NAME:
            raise ThesislabError("device 'local' is built in and cannot be removed")
        self.get(name)
        del self.devices[name]
        self.save()

    def save(self) -> None:
        """Write the inventory file atomically."""
        entries = {
            name: spec.model_dump(exclude={"name"}, exclude_defaults=True)
            for name, spec in sorted(self.devices.items())
        }
        text = yaml.safe_dump({"devices": entries}, sort_keys=False)
        atomic_write_bytes(self.path, text.encode())
