# SPDX-License-Identifier: GPL-2.0
# Debian packages of any architecture, from a private apt root per
# architecture that reads the host's own apt sources: no mirror name is
# written here, and the host's package lists are never touched.  Sourced,
# after common.sh.

apt_root() {
	local arch=$1 root=$IOASID_CACHE/apt/$1

	mkdir -p "$root/state/lists/partial" "$root/cache/archives/partial"
	touch "$root/status"
	echo "$root"
}

# apt-get/apt-cache on the private root of one architecture.  Dir::Etc keeps
# pointing at the host, so sources, keys and proxies are the host's.
papt() {
	local tool=$1 arch=$2 root
	shift 2

	root=$(apt_root "$arch")
	"$tool" -q -o Dir::State="$root/state" -o Dir::State::status="$root/status" \
		-o Dir::Cache="$root/cache" -o APT::Architecture="$arch" \
		-o APT::Architectures="$arch" -o APT::Sandbox::User=root "$@"
}

# An index that fails verification because the mirror is caught mid-sync
# (seen for the ppc64el security suite, whose Packages.xz no longer matches
# the signed InRelease) would hide that suite's kernels entirely.  Unless
# IOASID_STRICT_INDEX is set, fall back to the file the mirror serves: the
# suite's InRelease signature is still checked, and apt still checks every
# .deb against the hashes of that index, but the index itself cannot be
# authenticated.  It only ever feeds a foreign-architecture test kernel.
fetch_stale_index() {
	local arch=$1 uri=$2 lists name tmp

	[ -z "${IOASID_STRICT_INDEX:-}" ] ||
		die "$uri failed verification and IOASID_STRICT_INDEX is set"
	lists=$(apt_root "$arch")/state/lists
	log "warning: $uri failed verification (mirror out of sync?), using it as served"
	tmp=$(mktemp)
	for uri in "${uri%/main/*}/InRelease" "$uri"; do
		name=$(papt apt-get "$arch" --print-uris update |
		       awk -v u="'$uri'" '$1 == u { print $2 }')
		[ -n "$name" ] || die "no apt list name for $uri"
		/usr/lib/apt/apt-helper -q download-file "$uri" "$tmp" >/dev/null
		case $uri in
		*/InRelease)
			gpgv --keyring /usr/share/keyrings/debian-archive-keyring.gpg \
				"$tmp" 2>/dev/null || die "bad signature on $uri"
			cp "$tmp" "$lists/$name" ;;
		*.xz)
			xz -dc "$tmp" >"$lists/$name" ;;
		esac
	done
	rm -f "$tmp"
}

# Update the private index.  Hash failures of a Packages file are handled
# above; any other error stops here, before the index is marked fresh.
update_index() {
	local arch=$1 stamp out uri

	stamp=$(apt_root "$arch")/updated
	if [ -e "$stamp" ] && [ -z "${IOASID_REFRESH:-}" ]; then
		return
	fi
	log "updating the $arch package index (private apt root)"
	# Start from no lists, so that no index used before, verified or
	# not, survives an update.
	rm -rf "$(apt_root "$arch")/state/lists"
	out=$(papt apt-get "$arch" update 2>&1) || true
	for uri in $(echo "$out" |
		     sed -n 's/^E: Failed to fetch \([^ ]*Packages\.xz\)  \(File has unexpected size\|Hash Sum mismatch\).*/\1/p'); do
		fetch_stale_index "$arch" "$uri"
	done
	if echo "$out" | grep '^E: ' | grep -vqE \
		'Packages\.xz  (File has unexpected size|Hash Sum mismatch)|Some index files failed to download'; then
		echo "$out" >&2
		die "apt-get update failed for $arch"
	fi
	touch "$stamp"
}
