#!/usr/bin/env bash
# The project's Python: makes (or checks) the virtual environment .venv/ at the repository root from
# scripts/requirements-test.txt and prints its interpreter's path. scripts/setup.sh runs it and
# gives that path to CMake, so every Python test ctest runs (and every script those tests start,
# through $SENTI_PYTHON) uses this interpreter and nothing else.
#
#   scripts/python_env.sh          # -> /path/to/repo/.venv/bin/python
#
# Why not the `python3` first on PATH: that is whatever the machine put there (pyenv, a user's venv,
# a conda env), with whatever packages it happens to have. The base is the distribution's own
# interpreter, /usr/bin/python3 (apt packages python3 + python3-venv, installed by setup.sh), and the
# venv does not see its site-packages either: the tests get exactly the pinned packages.
# $SENTI_BASE_PYTHON picks another base, $SENTI_VENV another folder.
#
# Idempotent and quick: a stamp in the venv holds a hash of the requirements file and the base
# interpreter's version; while both match nothing is done. Otherwise the venv is made afresh (PyPI,
# or the pip configuration's index / find-links) and the stamp is written last, after `pip check`
# and an import of the compiled packages, so a broken install is redone by the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${SENTI_BASE_PYTHON:-/usr/bin/python3}"
venv="${SENTI_VENV:-$PWD/.venv}"
req="$PWD/scripts/requirements-test.txt"
stamp="$venv/.senti-requirements"

[ -x "$base" ] || { echo "python_env: no base interpreter $base (apt-get install python3 python3-venv)" >&2; exit 1; }
want="$(sha256sum "$req" | cut -c1-16) $("$base" -c 'import sys; print(sys.version.split()[0])')"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi

echo "python_env: making $venv from $base and scripts/requirements-test.txt" >&2
if [ -e "$venv" ]; then
  # Only ever delete a virtual environment (a folder with pyvenv.cfg), never an arbitrary $SENTI_VENV.
  [ -f "$venv/pyvenv.cfg" ] || { echo "python_env: $venv exists and is not a venv; not touching it" >&2; exit 1; }
  rm -rf "$venv"
fi
"$base" -m venv "$venv" >&2 ||
  { echo "python_env: '$base -m venv' failed (Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
# --no-deps: the file pins the whole closure; `pip check` proves it is complete.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --only-binary=:all: \
  --no-deps -r "$req" >&2
"$venv/bin/python" -m pip check >&2
# The compiled parts load (matplotlib's config goes to a throwaway folder, not $HOME).
tmp="$(mktemp -d)"
MPLCONFIGDIR="$tmp" "$venv/bin/python" -c 'import numpy, matplotlib.ft2font, PIL.Image, kiwisolver, contourpy' >&2
rm -rf "$tmp"
echo "$want" >"$stamp"
echo "$venv/bin/python"
