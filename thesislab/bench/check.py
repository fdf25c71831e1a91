"""What a device is: CPU, OS, frequency governor, runtime and, on a Raspberry Pi, temperature and
throttling (`vcgencmd`, skipped where absent). Saved with every measurement as its description."""

from __future__ import annotations

from dataclasses import dataclass, fields

from thesislab.bench.hosts import SETUP_TIMEOUT_S, Host
from thesislab.bench.runtimes import Runtime
from thesislab.errors import ThesislabError

_FACTS_SCRIPT = r"""
field() { sed -n "s/^$1[[:space:]]*:[[:space:]]*//p" /proc/cpuinfo 2>/dev/null | head -n 1; }
echo "cpu=$(field 'model name')"
echo "board=$(field Model)"
echo "cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null)"
echo "os=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null)"
echo "kernel=$(uname -srm)"
echo "governor=$(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null)"
if command -v vcgencmd >/dev/null 2>&1; then
  echo "temperature=$(vcgencmd measure_temp | sed 's/^temp=//')"
  echo "throttled=$(vcgencmd get_throttled | sed 's/^throttled=//')"
fi
"""


@dataclass(frozen=True)
class DeviceFacts:
    """What `devices check` reports; empty strings where the device does not tell."""

    runtime: str
    cpu: str = ""
    board: str = ""
    cores: str = ""
    os: str = ""
    kernel: str = ""
    governor: str = ""
    temperature: str = ""
    throttled: str = ""

    def describe(self) -> str:
        """One line: board or CPU, cores, OS, governor."""
        parts = [
            self.board or self.cpu or self.kernel,
            f"{self.cores} cores" if self.cores else "",
            self.os,
            f"governor {self.governor}" if self.governor else "",
        ]
        return "; ".join(part for part in parts if part)

    def warnings(self) -> list[str]:
        """Conditions that spoil a measurement: a throttled Pi."""
        if self.throttled and self.throttled not in ("0x0", "0"):
            return [f"the device reports throttling ({self.throttled}): results may be slow"]
        return []


def check_device(host: Host, runtime: Runtime) -> DeviceFacts:
    """Ask the host what it is and check its runtime."""
    result = host.run(["sh", "-c", _FACTS_SCRIPT], SETUP_TIMEOUT_S)
    if result.returncode != 0:
        raise ThesislabError(f"device check on {host.name} failed: {result.reason()}")
    found = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    known = {field.name for field in fields(DeviceFacts)} - {"runtime"}
    return DeviceFacts(
        runtime=runtime.prepare(host),
        **{key: value.strip() for key, value in found.items() if key in known},
    )
