#!/usr/bin/env bash
# The GPU kit (README.md): on a machine with JAX and a GPU, without TensorFlow or a network, train
# the thesis's WRN-40-2 with the thesis2019 recipe on the JPEG copy of CIFAR-10 and time its step
# beside a PyTorch step of the same network. Records, checkpoint, summary and log go to OUT; a
# later call given the same OUT resumes the run.
#
#   run.sh [--data ARCHIVE] [--time-limit SECONDS] OUT
#   run.sh --smoke OUT      the same path on a CPU: a small WideResNet, a few steps of the sample
#
# Exit status 75: stopped at --time-limit with the run unfinished (call again with OUT).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"
usage="usage: run.sh [--smoke] [--data ARCHIVE] [--time-limit SECONDS] OUT"

smoke=()
data=""
limit=""
out=""
while (($#)); do
    case "$1" in
        --smoke) smoke=(--smoke); shift ;;
        --data) data="${2:?$usage}"; shift 2 ;;
        --time-limit) limit="${2:?$usage}"; shift 2 ;;
        -h | --help) echo "$usage"; exit 0 ;;
        -*) echo "$usage" >&2; exit 2 ;;
        *)
            [[ -z $out ]] || { echo "$usage" >&2; exit 2; }
            out="$1"
            shift
            ;;
    esac
done
[[ -n $out ]] || { echo "$usage" >&2; exit 2; }
if [[ -z $data ]]; then
    if ((${#smoke[@]})); then data="sample"; else data="$here/data/cifar10-jpeg.tar.xz"; fi
fi

mkdir -p "$out"
exec > >(tee -a "$out/kit.log") 2>&1
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) run.sh ${smoke[*]} $out"

# Packages the machine lacks, from the wheels carried with the kit, into a folder of this call.
site="$(mktemp -d)"
trap 'rm -rf "$site"' EXIT
read -ra missing <<<"$("$python" "$here/missing.py" "$here/requirements.txt")"
if ((${#missing[@]})); then
    if [[ ! -d $here/wheels ]]; then
        echo "error: expected the wheels of ${missing[*]} in $here/wheels, found no folder:" \
            "run fetch-wheels.sh where there is network access" >&2
        exit 1
    fi
    echo "installing from the carried wheels: ${missing[*]}"
    "$python" -m pip install --quiet --no-index --no-deps --no-compile --disable-pip-version-check \
        --find-links "$here/wheels" --target "$site" "${missing[@]}"
else
    echo "packages: every requirement is installed"
fi

export PYTHONPATH="$site:$repo${PYTHONPATH:+:$PYTHONPATH}"
if ! "$python" -c "import jax" 2>/dev/null; then
    echo "error: expected JAX installed for $python, found none ('import jax' failed)" >&2
    exit 1
fi
export KERAS_BACKEND=jax
export XLA_PYTHON_CLIENT_PREALLOCATE=false # leave device memory to the PyTorch side too
export PYTHONUNBUFFERED=1

kit=("$python" "$here/kit.py" "${smoke[@]}" --data "$data" "$out")
if [[ -z $limit ]]; then
    "${kit[@]}"
    exit 0
fi
status=0
timeout --signal=TERM "$limit" "${kit[@]}" || status=$?
if ((status == 124)); then
    echo "stopped after $limit s: $out holds the checkpoint of the finished epochs;" \
        "call again with that folder to resume"
    exit 75
fi
exit "$status"
