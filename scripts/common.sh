# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the ioasid scripts; sourced, not run.

topdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${IOASID_CACHE:=$topdir/.cache}"
export IOASID_CACHE

log() {
	echo "ioasid: $*" >&2
}

die() {
	log "error: $*"
	exit 1
}
