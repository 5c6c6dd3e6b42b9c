#!/usr/bin/env bash
# Builds anvil's boot environment: vmlinuz-<arch> and initramfs-<arch>, the
# kernel and initramfs anvil-boot serves under /bootenv/.
#
#   hack/build-bootenv.sh [--out DIR] [--worker PATH] [--arch x86_64]
#                         [--cache DIR] [--compress zstd|gzip|xz]
#
# Everything but anvil-worker and its libraries comes from Debian packages
# fetched with `apt-get download` (nothing is installed on this host): the
# kernel linux-image-amd64 depends on (vmlinuz and the modules listed in
# hack/bootenv/modules, with their dependencies), busybox-static, and the
# packages in hack/bootenv/packages. anvil-worker (default bin/anvil-worker)
# and the shared libraries ldd finds for it, glibc and the dynamic loader
# included, come from this host. /init is hack/bootenv/init.
#
# Downloads are cached (checked against apt's SHA256) under --cache, default
# ~/.cache/anvil/bootenv. The output is reproducible: the same packages, the
# same anvil-worker and host libraries and the same hack/bootenv give the same
# bytes (fixed mtimes from SOURCE_DATE_EPOCH, sorted newc cpio, uid/gid 0,
# renumbered inodes, zstd/gzip/xz without names or times).
#
# Exit status: 0 built, 1 failed, 2 bad usage, 3 the Debian packages could
# not be resolved or downloaded (no apt lists, no network, no cache).
set -euo pipefail
export LC_ALL=C

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here=$top/hack/bootenv
out=$top/build/bootenv
worker=$top/bin/anvil-worker
arch=x86_64
cache=${XDG_CACHE_HOME:-$HOME/.cache}/anvil/bootenv
compress=zstd

say() { echo "build-bootenv: $*" >&2; }
die() { say "$*"; exit 1; }
die_fetch() { say "$*"; exit 3; }
USAGE="usage: hack/build-bootenv.sh [--out DIR] [--worker PATH] [--arch x86_64] [--cache DIR] [--compress zstd|gzip|xz]"
usage() {
    echo "$USAGE" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --worker) [ $# -ge 2 ] || usage; worker=$2; shift 2 ;;
    --arch) [ $# -ge 2 ] || usage; arch=$2; shift 2 ;;
    --cache) [ $# -ge 2 ] || usage; cache=$2; shift 2 ;;
    --compress) [ $# -ge 2 ] || usage; compress=$2; shift 2 ;;
    -h | --help) echo "$USAGE"; exit 0 ;;
    *) say "unknown argument: $1"; usage ;;
    esac
done

case "$arch" in
x86_64) debarch=amd64 triplet=x86_64-linux-gnu kmeta=linux-image-amd64 ;;
*) say "--arch $arch: only x86_64 is supported"; exit 2 ;;
esac
case "$compress" in
zstd) compress_cmd=(zstd -q -19 -T0 --no-progress -c) ;; # same bytes for any -T
gzip) compress_cmd=(gzip -9 -n -c) ;;
xz) compress_cmd=(xz -9 --check=crc32 -T1 -c) ;; # the kernel's unxz wants CRC32
*) say "--compress $compress: use zstd, gzip or xz"; exit 2 ;;
esac

for tool in apt-get apt-cache dpkg-deb cpio ldd sha256sum "${compress_cmd[0]}"; do
    command -v "$tool" >/dev/null || die "$tool is not installed (hack/install-deps.sh)"
done
case "$(cpio --help 2>&1)" in
*--reproducible*) ;;
*) die "cpio has no --reproducible: GNU cpio 2.12 or newer is needed" ;;
esac
[ -e "$worker" ] || die "no anvil-worker at $worker: build it (make bin/anvil-worker) or pass --worker PATH"

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct -- hack/build-bootenv.sh hack/bootenv 2>/dev/null || true)
    SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}
fi
case "$SOURCE_DATE_EPOCH" in '' | *[!0-9]*) die "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH is not a number" ;; esac

started=$SECONDS
mkdir -p "$cache/debs" "$cache/kernel" "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/anvil-bootenv.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
manifest=$work/manifest

# ------------------------------------------------------------ packages

# hack/bootenv/packages: "tool PKG PATH...", "lib PKG", "ca PKG".
tools=() libs=() cas=()
while read -r kind pkg rest; do
    case "$kind" in
    '' | '#'*) continue ;;
    tool) tools+=("$pkg:$rest") ;;
    lib) libs+=("$pkg") ;;
    ca) cas+=("$pkg") ;;
    *) die "hack/bootenv/packages: unknown kind '$kind'" ;;
    esac
done <"$here/packages"

# apt_records PKG[=VERSION]...: appends "name version arch sha256 depends"
# (tab-separated) for each package apt knows. One apt-cache call for many
# packages, because every call reads apt's lists again (seconds each).
apt_records() {
    apt-cache show --no-all-versions "$@" 2>/dev/null | awk '
        function flush() { if (p != "") print p "\t" v "\t" a "\t" s "\t" d; p = v = a = s = d = "" }
        { val = $0; sub(/^[^:]*: /, "", val) }
        /^Package: / { p = val } /^Version: / { v = val } /^Architecture: / { a = val }
        /^SHA256: / { s = val } /^Depends: / { d = val }
        /^$/ { flush() }
        END { flush() }' >>"$work/apt" || true
}

# fetch PKG [VERSION]: prints the path of the cached .deb of PKG (the version
# apt_records found) and records it in the manifest. Offline, with no apt
# record of PKG, a single cached .deb of that name is used.
fetch() {
    local pkg=$1 want=${2:-} ver pkgarch sha file tmp
    IFS=$'\t' read -r _ ver pkgarch sha _ < <(awk -F'\t' -v p="$pkg" -v w="$want" \
        '$1 == p && (w == "" || $2 == w) { print; exit }' "$work/apt") || true
    if [ -z "$ver" ] || [ -z "$sha" ]; then
        local cached=("$cache/debs/${pkg}_"*.deb)
        if [ ${#cached[@]} = 1 ] && [ -f "${cached[0]}" ]; then
            say "apt knows no $pkg${want:+=$want}; using the cached ${cached[0]##*/}"
            ver=${cached[0]##*/"${pkg}"_}
            ver=${ver%_*.deb}
            echo "package $pkg ${ver//%3a/:} $(sha256sum <"${cached[0]}" | cut -d' ' -f1)" >>"$manifest"
            echo "${cached[0]}"
            return 0
        fi
        die_fetch "apt knows no package $pkg${want:+=$want} and none is cached: run apt-get update"
    fi
    file=$cache/debs/${pkg}_${ver//:/%3a}_$pkgarch.deb
    if ! [ -f "$file" ] || [ "$(sha256sum <"$file" | cut -d' ' -f1)" != "$sha" ]; then
        say "downloading $pkg $ver"
        tmp=$(mktemp -d "$cache/dl.XXXXXX")
        if ! (cd "$tmp" && apt-get download -q "$pkg=$ver") >"$tmp/log" 2>&1; then
            grep -v '^W: Download is performed unsandboxed' "$tmp/log" >&2 || true
            rm -rf "$tmp"
            die_fetch "apt-get download $pkg=$ver failed"
        fi
        mv "$tmp"/*.deb "$file.part"
        rm -rf "$tmp"
        [ "$(sha256sum <"$file.part" | cut -d' ' -f1)" = "$sha" ] ||
            { rm -f "$file.part"; die_fetch "$pkg=$ver: SHA256 differs from apt's record"; }
        mv "$file.part" "$file"
    fi
    echo "package $pkg $ver $sha" >>"$manifest"
    echo "$file"
}

: >"$work/apt"
apt_records "$kmeta" busybox-static "${tools[@]%%:*}" "${libs[@]}" "${cas[@]}"
# The kernel: the package linux-image-amd64 depends on, at that version.
kdep=$(awk -F'\t' -v p="$kmeta" '$1 == p { print $5; exit }' "$work/apt")
kpkg=$(grep -o 'linux-image-[0-9][^ ,]*' <<<"$kdep" | head -1 || true)
kpkgver=$(sed -n 's/.*(= \([^)]*\)).*/\1/p' <<<"$kdep")
if [ -n "$kpkg" ]; then
    apt_records "$kpkg${kpkgver:+=$kpkgver}"
else
    # Offline: the newest cached kernel.
    kdeb=$(for f in "$cache/debs/linux-image-"[0-9]*"_$debarch.deb"; do
        if [ -f "$f" ]; then echo "${f##*/}"; fi
    done | sort -V | tail -1)
    [ -n "$kdeb" ] || die_fetch "apt knows no $kmeta and no kernel is cached: run apt-get update"
    kpkg=${kdeb%%_*}
fi
kver=${kpkg#linux-image-}
kdeb=$(fetch "$kpkg" "$kpkgver")
bbdeb=$(fetch busybox-static)
declare -A debs
for p in "${tools[@]%%:*}" "${libs[@]}" "${cas[@]}"; do
    debs[$p]=$(fetch "$p")
done

# ------------------------------------------------------------ the tree

mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib/$triplet,usr/lib64,usr/share/udhcpc,etc/ssl/certs,proc,sys,run,tmp,root,mnt,var}
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
ln -s /run "$root/var/run"
ln -s /tmp "$root/var/tmp"
ln -s /proc/mounts "$root/etc/mtab"

# Tools from packages, before busybox so that its links never shadow them.
for entry in "${tools[@]}"; do
    p=${entry%%:*}
    paths=${entry#*:}
    mkdir -p "$work/pkg/$p"
    dpkg-deb -x "${debs[$p]}" "$work/pkg/$p"
    for path in $paths; do
        src=$work/pkg/$p/$path
        [ -e "$src" ] || [ -L "$src" ] || die "package $p has no $path (hack/bootenv/packages)"
        mkdir -p "$(dirname "$root/$path")"
        cp -a "$src" "$root/$path"
    done
done

# Shared libraries offered by packages.
mkdir -p "$work/libroot"
for p in "${libs[@]}"; do
    dpkg-deb -x "${debs[$p]}" "$work/libroot"
done

# CA bundle, as update-ca-certificates would concatenate it.
for p in "${cas[@]}"; do
    dpkg-deb -x "${debs[$p]}" "$work/pkg/$p"
    find "$work/pkg/$p/usr/share/ca-certificates" -name '*.crt' -type f | sort |
        while read -r crt; do
            cat "$crt"
            [ -z "$(tail -c1 "$crt")" ] || echo
        done >>"$root/etc/ssl/certs/ca-certificates.crt"
done

# busybox and a link for each of its applets that no package provided.
dpkg-deb -x "$bbdeb" "$work/pkg/busybox-static"
bb=$work/pkg/busybox-static/bin/busybox
cp "$bb" "$root/usr/bin/busybox"
napplets=0
while read -r applet; do
    case "$applet" in linuxrc | */init) continue ;; esac
    name=${applet##*/}
    [ -e "$root/usr/bin/$name" ] || [ -L "$root/usr/bin/$name" ] ||
        [ -e "$root/usr/sbin/$name" ] || [ -L "$root/usr/sbin/$name" ] || {
        dir=usr/bin
        case "$applet" in sbin/* | usr/sbin/*) dir=usr/sbin ;; esac
        ln -s /usr/bin/busybox "$root/$dir/$name"
        napplets=$((napplets + 1))
    }
done < <("$bb" --list-full | sort)

# anvil-worker, without its debug information.
cp "$worker" "$root/usr/bin/anvil-worker"
chmod 0755 "$root/usr/bin/anvil-worker"
is_elf() { [ "$(head -c4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }
if is_elf "$worker" && command -v strip >/dev/null; then
    strip --strip-debug "$root/usr/bin/anvil-worker"
fi

# The files of hack/bootenv.
install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/udhcpc.script" "$root/usr/share/udhcpc/default.script"
for f in "$here"/etc/*; do
    install -m 0644 "$f" "$root/etc/${f##*/}"
done
chmod 0700 "$root/root"

# ------------------------------------------------------------ libraries

# Every dynamic executable's libraries (ldd, which lists them transitively):
# packages' libraries first, then this host's. libgcc_s is added for anything
# linking glibc, which dlopens it for pthread_cancel and backtraces.
libpath=$work/libroot/lib/$triplet:$work/libroot/usr/lib/$triplet
declare -A wanted
while read -r f; do
    is_elf "$f" || continue
    lddout=$(LD_LIBRARY_PATH=$libpath ldd "$f" 2>&1) || continue
    while read -r line; do
        case "$line" in
        *'=> not found'*) die "${f#"$root"/}: ${line%% *} not found (add its package as 'lib' to hack/bootenv/packages)" ;;
        *'=> /'*) lib=${line#*=> }; lib=${lib%% (*} ;;
        /*) lib=${line%% (*} ;;
        *) continue ;;
        esac
        wanted[$lib]=1
        case "$lib" in
        */libc.so.6) [ -e "${lib%/*}/libgcc_s.so.1" ] && wanted[${lib%/*}/libgcc_s.so.1]=1 ;;
        esac
    done <<<"$lddout"
done < <(find "$root" -path "$root/usr/lib/modules" -prune -o -type f -perm -u+x -print | sort)
nlibs=0 nhostlibs=0
for lib in $(printf '%s\n' "${!wanted[@]}" | sort); do
    case "$lib" in
    "$work/libroot/"*) dest=/${lib#"$work"/libroot/} ;;
    *) dest=$lib nhostlibs=$((nhostlibs + 1)) ;;
    esac
    case "$dest" in
    /usr/*) ;;
    *) dest=/usr$dest ;; # merged /usr: /lib -> usr/lib, /lib64 -> usr/lib64
    esac
    mkdir -p "$root${dest%/*}"
    cp -L "$lib" "$root$dest"
    chmod 0644 "$root$dest"
    case "$dest" in */ld-linux*) chmod 0755 "$root$dest" ;; esac
    nlibs=$((nlibs + 1))
done

# ------------------------------------------------------------ kernel

# The kernel package unpacks to 400 MB, so only vmlinuz and the chosen
# modules are extracted. Choosing needs the package's module dependencies:
# the first build with a kernel package unpacks it all once and keeps its
# modules.dep (busybox depmod), module directory and modules.builtin in the
# cache, keyed by the package's SHA256.
ksha=$(sha256sum <"$kdeb" | cut -d' ' -f1)
kcache=$cache/kernel/$ksha
if ! [ -s "$kcache.modules.dep" ] || ! [ -s "$kcache.moddir" ]; then
    say "indexing the modules of $kpkg (once per kernel package)"
    mkdir -p "$work/kfull"
    dpkg-deb -x "$kdeb" "$work/kfull"
    kmoddir=
    for d in lib/modules/$kver usr/lib/modules/$kver; do
        [ -d "$work/kfull/$d/kernel" ] && kmoddir=$d
    done
    [ -n "$kmoddir" ] || die "$kpkg has no modules for $kver"
    mkdir -p "$work/kdepmod/lib/modules"
    ln -s "$work/kfull/$kmoddir" "$work/kdepmod/lib/modules/$kver"
    "$bb" depmod -b "$work/kdepmod" "$kver"
    sort "$work/kfull/$kmoddir/modules.dep" >"$kcache.modules.dep.part"
    cp "$work/kfull/$kmoddir/modules.builtin" "$kcache.builtin.part"
    echo "$kmoddir" >"$kcache.moddir.part"
    mv "$kcache.modules.dep.part" "$kcache.modules.dep"
    mv "$kcache.builtin.part" "$kcache.builtin"
    mv "$kcache.moddir.part" "$kcache.moddir"
    rm -rf "$work/kfull" "$work/kdepmod"
fi
kmoddir=$(cat "$kcache.moddir")
fulldep=$kcache.modules.dep
# The wanted modules and their dependencies.
grep -v '^#' "$here/modules" | tr ' ' '\n' | grep . | tr '-' '_' >"$work/modwanted" || true
awk '
    function norm(p) { sub(/.*\//, "", p); sub(/\.ko(\.[a-z]+)?$/, "", p); gsub(/-/, "_", p); return p }
    FILENAME == ARGV[1] { wanted[++nwanted] = $1; next }
    FILENAME == ARGV[2] { builtin[norm($0)] = 1; next }
    {
        key = $1; sub(/:$/, "", key)
        path[norm(key)] = key
        deps[key] = ""
        for (i = 2; i <= NF; i++) deps[key] = deps[key] " " $i
    }
    END {
        for (i = 1; i <= nwanted; i++) {
            if (wanted[i] in builtin) continue
            if (!(wanted[i] in path)) { print "missing " wanted[i]; continue }
            k = path[wanted[i]]
            print "module " k
            m = split(deps[k], d, " ")
            for (j = 1; j <= m; j++) print "module " d[j]
        }
    }' "$work/modwanted" "$kcache.builtin" "$fulldep" | sort -u >"$work/modsel"
while read -r kind name; do
    [ "$kind" = missing ] && say "warning: kernel $kver has no module $name (hack/bootenv/modules); skipped"
done <"$work/modsel"
{
    echo "./boot/vmlinuz-$kver"
    echo "./$kmoddir/modules.builtin"
    sed -n "s|^module |./$kmoddir/|p" "$work/modsel"
} >"$work/kmembers"
mkdir -p "$work/kernel"
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$work/kernel" -T "$work/kmembers" ||
    die "$kpkg: extracting vmlinuz and the modules failed"
kmod=$work/kernel/$kmoddir
moddest=$root/usr/lib/modules/$kver
mkdir -p "$moddest"
cp -a "$kmod/." "$moddest/"
nmods=$(grep -c '^module ' "$work/modsel" || true)
"$bb" depmod -b "$root" "$kver"
for f in "$moddest"/modules.*; do
    case "$f" in */modules.order | */modules.builtin*) continue ;; esac
    sort -o "$f" "$f"
done
cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"

# ------------------------------------------------------------ manifest

{
    echo "kernel $kver"
    echo "worker $(sha256sum <"$worker" | cut -d' ' -f1)"
    echo "source_date_epoch $SOURCE_DATE_EPOCH"
    sort -u "$manifest"
} >"$work/manifest.sorted"
chmod -R u+rwX,go+rX,go-w "$root"
chmod 0700 "$root/root"
chmod 1777 "$root/tmp"
# The id is a digest of the whole tree: names, modes, link targets, contents.
id=$(
    cd "$root"
    {
        find . -printf '%P %M %l\n' | sort
        find . -type f -print0 | sort -z | xargs -0 sha256sum
    } | sha256sum | cut -c1-12
)
{
    echo "id $id"
    cat "$work/manifest.sorted"
} >"$root/etc/anvil-bootenv"
chmod 0644 "$root/etc/anvil-bootenv"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# ------------------------------------------------------------ cpio

# newc_entry NAME MODE RDEV_MAJOR RDEV_MINOR INO: one empty cpio newc member.
newc_entry() {
    local name=$1 mode=$2 maj=$3 min=$4 ino=$5 hdr pad
    hdr=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        "$ino" "$mode" 0 0 1 "$SOURCE_DATE_EPOCH" 0 0 0 "$maj" "$min" $((${#name} + 1)) 0)
    printf '%s%s\0' "$hdr" "$name"
    pad=$(((4 - (110 + ${#name} + 1) % 4) % 4))
    head -c "$pad" /dev/zero
}
# /dev/console must exist before /init runs (the kernel opens it for init's
# stdio) and making device nodes needs root, so this first small archive is
# written by hand; the kernel unpacks concatenated archives in order.
{
    newc_entry dev $((0040755)) 0 0 1
    newc_entry dev/console $((0020600)) 5 1 2
    newc_entry 'TRAILER!!!' 0 0 0 0
    (cd "$root" && find . -mindepth 1 -printf '%P\n' | sort |
        cpio --quiet -o -H newc --reproducible -R 0:0)
} >"$work/initramfs.cpio"
"${compress_cmd[@]}" "$work/initramfs.cpio" >"$work/initramfs"

# ------------------------------------------------------------ output

install -m 0644 "$work/vmlinuz" "$out/vmlinuz-$arch.part"
install -m 0644 "$work/initramfs" "$out/initramfs-$arch.part"
mv "$out/vmlinuz-$arch.part" "$out/vmlinuz-$arch"
mv "$out/initramfs-$arch.part" "$out/initramfs-$arch"
ksum=$(sha256sum <"$out/vmlinuz-$arch" | cut -d' ' -f1)
isum=$(sha256sum <"$out/initramfs-$arch" | cut -d' ' -f1)
{
    cat "$root/etc/anvil-bootenv"
    echo "sha256 $ksum vmlinuz-$arch"
    echo "sha256 $isum initramfs-$arch"
} >"$out/manifest-$arch.txt"

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
ksize=$(stat -c %s "$out/vmlinuz-$arch")
isize=$(stat -c %s "$out/initramfs-$arch")
usize=$(stat -c %s "$work/initramfs.cpio")
nfiles=$(find "$root" | wc -l)
info() { echo "build-bootenv: $*"; }
info "kernel $kpkg, $nmods modules; busybox-static with $napplets applet links; ${#tools[@]} tool packages"
info "anvil-worker from $worker; $nlibs shared libraries ($nhostlibs from this host)"
info "id $id, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, built in $((SECONDS - started)) s"
printf '%-18s %10d bytes (%s)  sha256 %s\n' "vmlinuz-$arch" "$ksize" "$(mib "$ksize")" "$ksum"
printf '%-18s %10d bytes (%s, %s unpacked, %d files, %s)  sha256 %s\n' "initramfs-$arch" "$isize" \
    "$(mib "$isize")" "$(mib "$usize")" "$nfiles" "$compress" "$isum"
if [ "$isize" -gt $((40 * 1024 * 1024)) ]; then
    say "warning: initramfs-$arch is over the 40 MiB goal"
fi
