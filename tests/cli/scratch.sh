# Sourced by the command-line tests, after their own `set` options: the
# repository's root ($root), and a scratch directory ($work) that becomes
# the working directory and is removed when the test exits.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
