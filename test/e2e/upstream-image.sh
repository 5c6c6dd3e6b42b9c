#!/usr/bin/env bash
# The deployment image (hack/build-image.sh, Containerfile): an OCI image
# layout assembled without a base image or container engine. Checks that the
# layout is well formed (every blob under its own sha256, sizes as the
# manifest says), that the layer holds the binaries, their libraries and
# Debian's iPXE files, that two builds give the same digest, and that the
# unpacked root file system runs: each binary's --help, and anvil-apiserver
# serving /readyz as the image's non-root user in a chroot.
. "$(dirname "$0")/lib.bash"
IMAGE_BIN=${ANVIL_IMAGE_BIN:-$E2E_TOP/bin}
ls "$IMAGE_BIN"/anvil-* >/dev/null 2>&1 || skip_all "no binaries in $IMAGE_BIN (make all)"
[ -f /usr/lib/ipxe/undionly.kpxe ] || skip_all "Debian's ipxe package is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"

OUT=$E2E_TMP/image
check "build-image.sh builds the image" "$E2E_TOP/hack/build-image.sh" --bin-dir "$IMAGE_BIN" --out "$OUT"
OCI=$OUT/oci
expect_match "oci-layout names version 1.0.0" '"imageLayoutVersion": ?"1.0.0"' cat "$OCI/oci-layout"

# layout_check: every blob is named by its sha256; index -> manifest -> config
# and layer resolve with the recorded sizes and media types.
layout_check() {
    python3 - "$OCI" <<'PY'
import hashlib, json, os, sys
oci = sys.argv[1]
def blob(d):
    algo, hexd = d["digest"].split(":")
    p = os.path.join(oci, "blobs", algo, hexd)
    data = open(p, "rb").read()
    assert hashlib.sha256(data).hexdigest() == hexd, "digest mismatch " + hexd
    assert len(data) == d["size"], "size mismatch " + hexd
    return data
for f in os.listdir(os.path.join(oci, "blobs", "sha256")):
    data = open(os.path.join(oci, "blobs", "sha256", f), "rb").read()
    assert hashlib.sha256(data).hexdigest() == f, "blob not named by its digest: " + f
idx = json.load(open(os.path.join(oci, "index.json")))
assert idx["schemaVersion"] == 2 and len(idx["manifests"]) == 1
m = idx["manifests"][0]
assert m["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
man = json.loads(blob(m))
assert man["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
cfg = json.loads(blob(man["config"]))
assert cfg["os"] == "linux" and cfg["config"]["User"] == "65532:65532", cfg["config"]
assert len(man["layers"]) == 1 and man["layers"][0]["mediaType"].endswith("tar+gzip")
import gzip
layer = gzip.decompress(blob(man["layers"][0]))
assert "sha256:" + hashlib.sha256(layer).hexdigest() == cfg["rootfs"]["diff_ids"][0], "diff_id"
print("ok", m["annotations"]["org.opencontainers.image.ref.name"])
PY
}
expect_match "layout: digests, sizes, media types, diff_id" "^ok anvil:latest$" layout_check

layer=$(python3 -c 'import json,sys
oci=sys.argv[1]
m=json.load(open(oci+"/index.json"))["manifests"][0]["digest"].split(":")[1]
print(oci+"/blobs/sha256/"+json.load(open(oci+"/blobs/sha256/"+m))["layers"][0]["digest"].split(":")[1])' "$OCI")
tar -tzf "$layer" >"$E2E_TMP/files"
for f in usr/bin/anvil-controller usr/bin/anvil-boot usr/bin/anvil-apiserver usr/lib/ipxe/undionly.kpxe \
    usr/lib/ipxe/ipxe.efi usr/lib/ipxe/snponly.efi etc/passwd etc/ssl/certs/ca-certificates.crt; do
    grep -qx "\./$f" "$E2E_TMP/files" && ok "layer holds /$f" || not_ok "layer lacks /$f"
done
grep -q 'libc\.so\.6$' "$E2E_TMP/files" && grep -q 'libjansson\.so\.4$' "$E2E_TMP/files" &&
    grep -q 'ld-linux' "$E2E_TMP/files" && ok "layer holds the loader, libc and the libraries ldd named" ||
    not_ok "libraries missing from the layer"
first=$(sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$OCI/index.json")
"$E2E_TOP/hack/build-image.sh" --bin-dir "$IMAGE_BIN" --out "$E2E_TMP/image2" >/dev/null
second=$(sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$E2E_TMP/image2/oci/index.json")
[ -n "$first" ] && [ "$first" = "$second" ] && ok "two builds give the same manifest digest ($first)" ||
    not_ok "builds differ: $first vs $second"

# --- the unpacked root file system runs (chroot needs root)
if [ "$(id -u)" != 0 ]; then
    echo "# skip: chroot checks need root"
    e2e_done
    exit
fi
ROOT=$E2E_TMP/rootfs
mkdir -p "$ROOT"
tar -xzf "$layer" -C "$ROOT"
for b in "$ROOT"/usr/bin/anvil-*; do
    name=$(basename "$b")
    check "$name --help runs from the image alone" chroot "$ROOT" "/usr/bin/$name" --help
done
# A container runtime gives the process /dev/null and /dev/urandom; so does this test.
mkdir -p "$ROOT/dev"
mknod -m 666 "$ROOT/dev/null" c 1 3 && mknod -m 666 "$ROOT/dev/urandom" c 1 9 ||
    echo "# mknod failed: anvil-apiserver will not find /dev/urandom"
port=$(free_port)
chroot --userspec=65532:65532 "$ROOT" /usr/bin/anvil-apiserver --listen "127.0.0.1:$port" \
    --data-dir /tmp/data >"$E2E_TMP/chroot-apiserver.log" 2>&1 &
E2E_PIDS+=("$!")
wait_for 20 curl -sf "http://127.0.0.1:$port/readyz" >/dev/null &&
    ok "anvil-apiserver serves /readyz from the image as uid 65532" ||
    { not_ok "anvil-apiserver from the image"; tail -5 "$E2E_TMP/chroot-apiserver.log" | sed 's/^/#   /'; }
e2e_done
