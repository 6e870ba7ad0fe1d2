# shellcheck shell=bash
# Sourced by bin/test and bin/mailflow: makes sure .venv exists and holds the project.
#
# `pip install` runs only when pyproject.toml has changed since the last successful install
# with the same extras; a stamp file per extras set, inside .venv, keeps the pyproject.toml
# checksum that was installed. The install is editable, so changes under mailflow/ never
# need a reinstall.
#
# Expects the current directory to be the repository root.

VENV_DIR=.venv

# ensure_venv [EXTRA]  - EXTRA is empty for the bare package, or e.g. "test" for '.[test]'.
ensure_venv() {
    local extra="${1:-}"
    local spec="." stamp="$VENV_DIR/.mailflow-installed"
    if [ -n "$extra" ]; then
        spec=".[$extra]"
        stamp="$VENV_DIR/.mailflow-installed-$extra"
    fi

    if [ ! -x "$VENV_DIR/bin/python" ]; then
        echo "Creating $VENV_DIR"
        python3 -m venv "$VENV_DIR"
    fi

    local wanted
    wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi

    echo "Installing $spec into $VENV_DIR (pyproject.toml changed or first install)"
    "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
    echo "$wanted" >"$stamp"
    # Any extras set includes the bare package, so the bare stamp is now current too.
    echo "$wanted" >"$VENV_DIR/.mailflow-installed"
}
