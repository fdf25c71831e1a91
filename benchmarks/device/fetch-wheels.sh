#!/usr/bin/env bash
# Download the wheels of requirements.txt into wheels/ (ignored by git), for each CPython version
# in $PYTHON_VERSIONS on x86-64 Linux: run where there is network access, before carrying the kit
# to a machine without it. Pure-Python wheels are downloaded once; compiled ones once per version.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
versions="${PYTHON_VERSIONS:-3.11 3.12 3.13}"
wheels="$here/wheels"

rm -rf "$wheels"
mkdir -p "$wheels"
for version in $versions; do
    "$python" -m pip download --quiet --no-deps --only-binary=:all: \
        --implementation cp --python-version "$version" \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --dest "$wheels" --requirement "$here/requirements.txt"
done
ls -1 "$wheels"
echo "$(find "$wheels" -name '*.whl' | wc -l) wheels, $(du -sh "$wheels" | cut -f1) in $wheels"
