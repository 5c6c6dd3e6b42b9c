#!/usr/bin/env bash
# Builds anvil's OCI image without a base image, a container engine or a registry: the binaries
# from bin/, every shared library ldd names for them, Debian's iPXE files, a passwd/group with
# the non-root user 65532 and the CA bundle, packed by hand into an OCI image layout
# (one gzip layer, config and manifest written here, sha256 digests from sha256sum).
# The result is what Containerfile describes (buildah bud on build/image/context gives the same
# file tree).
#
#   build-image.sh [--bin-dir DIR] [--out DIR] [--tag TAG] [--ipxe-dir DIR]
#     --bin-dir   binaries to ship (default bin/, the `make all` build)
#     --out       output folder (default build/image): context/rootfs, oci/ (the layout) and
#                 anvil.oci.tar (the layout as one tar: `podman load -i`, `skopeo copy
#                 oci-archive:...`, `ctr images import`)
#     --tag       image reference name in index.json (default anvil:latest)
#     --ipxe-dir  iPXE binaries to ship (default /usr/lib/ipxe, Debian's ipxe package)
# Layers are reproducible: sorted entries, fixed mtime (SOURCE_DATE_EPOCH, else the last commit),
# uid/gid 0, gzip without a name or time stamp.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=$top/bin
out=$top/build/image
tag=anvil:latest
ipxe_dir=/usr/lib/ipxe
while [ $# -gt 0 ]; do
    case "$1" in
    --bin-dir) bin_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --ipxe-dir) ipxe_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build-image: unknown argument $1" >&2; exit 2 ;;
    esac
done
die() { echo "build-image: $*" >&2; exit 1; }
for t in ldd tar gzip sha256sum stat; do command -v "$t" >/dev/null || die "$t is missing"; done
bins=()
for b in "$bin_dir"/anvil-*; do [ -x "$b" ] && [ -f "$b" ] && bins+=("$b"); done
[ ${#bins[@]} -gt 0 ] || die "no anvil-* binaries in $bin_dir (make all)"
[ -f "$ipxe_dir/undionly.kpxe" ] || die "no iPXE files in $ipxe_dir (apt-get install ipxe)"
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
case "$(uname -m)" in
x86_64) arch=amd64 ;;
aarch64) arch=arm64 ;;
*) arch=$(uname -m) ;;
esac

ctx=$out/context
rootfs=$ctx/rootfs
rm -rf "$ctx" "$out/oci" "$out/anvil.oci.tar"
mkdir -p "$rootfs/usr/bin" "$rootfs/etc/ssl/certs" "$rootfs/usr/lib/ipxe" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
cp "$top/Containerfile" "$ctx/Containerfile"

# --- binaries and the libraries the dynamic loader resolves for them (same paths as here)
libs=$(for b in "${bins[@]}"; do
    install -m 0755 "$b" "$rootfs/usr/bin/"
    ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u)
# glibc loads libgcc_s at run time (pthread_cancel, backtraces), and lws loads its libev plugin
# (the gateway's epoll loop) at run time: ldd cannot see either.
for extra in /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib/aarch64-linux-gnu/libgcc_s.so.1 \
    /usr/lib/x86_64-linux-gnu/libwebsockets-evlib_ev.so /usr/lib/aarch64-linux-gnu/libwebsockets-evlib_ev.so; do
    [ -e "$extra" ] && libs=$(printf '%s\n%s\n' "$libs" "$extra" | sort -u)
done
n_libs=0
for l in $libs; do
    [ -e "$l" ] || die "ldd names $l, which does not exist"
    mkdir -p "$rootfs$(dirname "$l")"
    cp -L "$l" "$rootfs$l"
    n_libs=$((n_libs + 1))
done

# --- iPXE binaries anvil-boot serves over TFTP and HTTP (Debian's build)
n_ipxe=0
for f in "$ipxe_dir"/*.efi "$ipxe_dir"/*.kpxe "$ipxe_dir"/*.kkpxe "$ipxe_dir"/*.pxe "$ipxe_dir"/*.lkrn; do
    [ -f "$f" ] || continue
    cp -L "$f" "$rootfs/usr/lib/ipxe/"
    n_ipxe=$((n_ipxe + 1))
done

# --- the few files a process expects
printf 'root:x:0:0:root:/:/usr/sbin/nologin\nnonroot:x:65532:65532:nonroot:/:/usr/sbin/nologin\n' \
    >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
fi
mkdir -p "$rootfs/var/lib/anvil/bootenv" "$rootfs/etc/anvil"

# --- one layer: a reproducible tar of the rootfs
oci=$out/oci
mkdir -p "$oci/blobs/sha256"
layer_tar=$out/layer.tar
find "$rootfs" -exec touch -h -d "@$epoch" {} +
(cd "$rootfs" && tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -cf "$layer_tar" .)
diff_id=$(sha256sum "$layer_tar" | cut -d' ' -f1)
gzip -n -9 -c "$layer_tar" >"$out/layer.tar.gz"
rm -f "$layer_tar"
layer_digest=$(sha256sum "$out/layer.tar.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$out/layer.tar.gz")
mv "$out/layer.tar.gz" "$oci/blobs/sha256/$layer_digest"

# blob FILE: moves FILE into blobs/ under its digest; prints "digest size".
blob() {
    local d s
    d=$(sha256sum "$1" | cut -d' ' -f1)
    s=$(stat -c %s "$1")
    mv "$1" "$oci/blobs/sha256/$d"
    echo "$d $s"
}

# The values below are fixed strings and hex digests: nothing needs JSON escaping.
cat >"$out/config.json" <<JSON
{"architecture":"$arch","os":"linux","created":"$created","config":{"User":"65532:65532","Entrypoint":["/usr/bin/anvil-controller"],"Env":["PATH=/usr/bin"],"WorkingDir":"/","Labels":{"org.opencontainers.image.title":"anvil","org.opencontainers.image.licenses":"Apache-2.0"}},"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},"history":[{"created":"$created","created_by":"hack/build-image.sh: COPY rootfs/ /"}]}
JSON
read -r config_digest config_size < <(blob "$out/config.json")
cat >"$out/manifest.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$config_digest","size":$config_size},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$layer_digest","size":$layer_size}]}
JSON
read -r manifest_digest manifest_size < <(blob "$out/manifest.json")
cat >"$oci/index.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$manifest_digest","size":$manifest_size,"platform":{"architecture":"$arch","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"$tag","io.containerd.image.name":"$tag"}}]}
JSON
echo '{"imageLayoutVersion":"1.0.0"}' >"$oci/oci-layout"
(cd "$oci" && tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
    -cf "$out/anvil.oci.tar" oci-layout index.json blobs)

echo "build-image: ${#bins[@]} binaries, $n_libs libraries, $n_ipxe iPXE files; layer $((layer_size / 1024)) KiB"
echo "build-image: manifest sha256:$manifest_digest ($tag)"
echo "build-image: OCI layout $oci, archive $out/anvil.oci.tar, build context $ctx"
