# Shared by the bench scripts: install a Debian package when its command is missing.
apt_q() { DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120 "$@" >/dev/null; }
need() { command -v "$1" >/dev/null || { apt_q install "$2" 2>/dev/null || { apt_q update && apt_q install "$2"; }; } || { echo "bench: cannot install $2 (for $1)" >&2; exit 1; }; }
